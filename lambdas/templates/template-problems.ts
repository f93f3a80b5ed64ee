import { CHANNELS } from '../channels/registry.js';
import { type CategoryCatalogue, requiredCategories } from '../shared/domain/categories.js';
import type { FieldProblem } from '../shared/http/api-error.js';
import type { TemplateDocument } from '../shared/schemas/template.js';
import { liquid } from '../shared/templates/liquid-engine.js';

/**
 * What is wrong with the document, by field: a category the installation does not have, a critical type outside the
 * required categories, each part that does not compile (e.g. "email.subject").
 */
export function templateProblems(template: TemplateDocument, catalogue: CategoryCatalogue): FieldProblem[] {
  const problems: FieldProblem[] = [...categoryProblems(template, catalogue)];
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

function categoryProblems(template: TemplateDocument, catalogue: CategoryCatalogue): FieldProblem[] {
  if (template.category === undefined) return [];
  const category = catalogue.categories[template.category];
  if (!category)
    return [
      {
        field: 'category',
        message: `is not a category; the categories are ${Object.keys(catalogue.categories).join(', ')}`,
      },
    ];
  if (template.critical && !category.required)
    return [
      {
        field: 'category',
        message: `a critical type must belong to a required category (${requiredCategories(catalogue).join(', ')}): a person could turn ${template.category} off`,
      },
    ];
  return [];
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
