import { CHANNELS } from '../channels/registry.js';
import type { FieldProblem } from '../shared/http/api-error.js';
import type { TemplateDocument } from '../shared/schemas/template.js';
import { liquid } from '../shared/templates/liquid-engine.js';

/** Each part of the document that does not compile, named by its field (e.g. "email.subject"). */
export function templateProblems(template: TemplateDocument): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const channel of CHANNELS) {
    const parts: Record<string, string> | undefined = template[channel];
    for (const [part, text] of Object.entries(parts ?? {})) {
      try {
        liquid.parse(text);
      } catch (error) {
        problems.push({
          field: `${channel}.${part}`,
          message: `does not compile: ${firstLine((error as Error).message)}`,
        });
      }
    }
  }
  return problems;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
