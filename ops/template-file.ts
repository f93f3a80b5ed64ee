/**
 * A template as a file of the templates/ folder: `<type>.yaml`, holding exactly the body of PUT /v1/templates/{type},
 * checked by the API's own schema. Its text is canonical (templateFileText), so that a template pulled from the
 * platform is the same bytes as the file pushed. Pure: no file system, no network.
 */
import { parseDocument, stringify } from 'yaml';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { notificationTypeSchema } from '../lambdas/shared/schemas/identifiers.js';
import { type TemplateDocument, templateSchema } from '../lambdas/shared/schemas/template.js';
import type * as z from '../lambdas/shared/schemas/zod.js';

export const TEMPLATE_FILE_EXTENSION = '.yaml';

export interface FileProblem {
  /** The field at fault (e.g. "locales.de.email.subject"); undefined when the file as a whole is. */
  readonly field: string | undefined;
  readonly problem: string;
}

/** A file of the folder that is not a template the API would take: its path, and each field at fault. */
export class TemplateFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly [FileProblem, ...FileProblem[]],
  ) {
    super(problems.map(({ field, problem }) => `${file}: ${field ? `${field}: ` : ''}${problem}`).join('\n'));
    this.name = 'TemplateFileError';
  }

  /** The first field at fault. */
  get field(): string | undefined {
    return this.problems[0].field;
  }
}

/** The notification type a file holds, from its name: `order_shipped.yaml` holds order_shipped. */
export function templateTypeOf(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  if (!name.endsWith(TEMPLATE_FILE_EXTENSION))
    throw new TemplateFileError(file, [
      { field: undefined, problem: `is not a template file: templates are <type>${TEMPLATE_FILE_EXTENSION}` },
    ]);
  const type = name.slice(0, -TEMPLATE_FILE_EXTENSION.length);
  const checked = notificationTypeSchema.safeParse(type);
  if (!checked.success)
    throw new TemplateFileError(file, [
      { field: 'type', problem: `"${type}" (the file's name) ${checked.error.issues[0]?.message}` },
    ]);
  return type;
}

/** The template a file's text holds, checked as PUT /v1/templates/{type} checks its body. */
export function parseTemplateFile(file: string, text: string): TemplateDocument {
  const document = parseDocument(text);
  const syntax = document.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    // The message repeats the position and quotes the lines around it: the path says where.
    const problem = firstLine(syntax.message).replace(/ at line \d+, column \d+:?$/, '');
    throw new TemplateFileError(`${file}${at ? `:${at.line}:${at.col}` : ''}`, [{ field: undefined, problem }]);
  }
  const parsed = templateSchema.safeParse(document.toJS());
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues.flatMap(fileProblems);
    throw new TemplateFileError(file, first ? [first, ...rest] : [{ field: undefined, problem: 'is not a template' }]);
  }
  // The platform answers every template with its category resolved: a file without one would never read as unchanged.
  if (parsed.data.category === undefined)
    throw new TemplateFileError(file, [
      { field: 'category', problem: "is required in a template file (one of the installation's categories)" },
    ]);
  return parsed.data;
}

/** The one text of a template: its fields in the schema's order, locales by tag, multi-line sources as blocks. */
export function templateFileText(template: TemplateDocument): string {
  return stringify(canonicalTemplate(template), { lineWidth: 0, blockQuote: 'literal' });
}

/** The template with its fields in one order, and `critical` only when it is true (false is the schema's default). */
export function canonicalTemplate(template: TemplateDocument): Record<string, unknown> {
  const locales = Object.entries(template.locales ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    ...(template.critical ? { critical: true } : {}),
    ...(template.category === undefined ? {} : { category: template.category }),
    ...canonicalParts(template),
    ...(locales.length > 0
      ? { locales: Object.fromEntries(locales.map(([tag, parts]) => [tag, canonicalParts(parts)])) }
      : {}),
  };
}

function canonicalParts(
  parts: Partial<Record<Channel, Readonly<Record<string, string>> | undefined>>,
): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const channel of CHANNELS) {
    const part = parts[channel];
    if (part === undefined) continue;
    const fields = Object.keys(CHANNEL_DEFINITIONS[channel].templatePart.shape);
    ordered[channel] = Object.fromEntries(fields.flatMap((field) => (field in part ? [[field, part[field]]] : [])));
  }
  return ordered;
}

/** A schema issue as the problems of fields: an unknown field is reported at its parent, a bad key inside it. */
function fileProblems(issue: z.core.$ZodIssue): FileProblem[] {
  const field = (path: readonly PropertyKey[]) => path.map(String).join('.') || undefined;
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => ({
      field: field([...issue.path, key]),
      problem: 'is not a field of a template here',
    }));
  if (issue.code === 'invalid_key')
    return [{ field: field(issue.path), problem: issue.issues[0]?.message ?? issue.message }];
  return [{ field: field(issue.path), problem: issue.message }];
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
