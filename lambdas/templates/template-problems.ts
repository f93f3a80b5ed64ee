import { CHANNELS, type Channel } from '../channels/registry.js';
import { type CategoryCatalogue, categoryOf, requiredCategories } from '../shared/domain/categories.js';
import type { FieldProblem } from '../shared/http/api-error.js';
import type { TemplateDocument } from '../shared/schemas/template.js';
import { liquid } from '../shared/templates/liquid-engine.js';

/**
 * What is wrong with the document, by field: a category the installation does not have, a critical type outside the
 * required categories, each part that does not compile (e.g. "email.subject").
 */
export function templateProblems(template: TemplateDocument, catalogue: CategoryCatalogue): FieldProblem[] {
  const problems: FieldProblem[] = [
    ...categoryProblems(template, catalogue),
    ...mustArriveProblems(template, catalogue),
    ...compileProblems(template, ''),
  ];
  for (const [locale, parts] of Object.entries(template.locales ?? {})) {
    for (const channel of CHANNELS) {
      // A locale says the default's channels in another language; it adds none (a person would get it only there).
      if (parts[channel] !== undefined && template[channel] === undefined)
        problems.push({ field: `locales.${locale}.${channel}`, message: `the default content has no ${channel}` });
    }
    problems.push(...compileProblems(parts, `locales.${locale}.`));
  }
  return problems;
}

/** Each part that does not compile, named by its field under `prefix`. */
function compileProblems(
  parts: Partial<Record<Channel, Readonly<Record<string, string>>>>,
  prefix: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const channel of CHANNELS) {
    for (const [part, text] of Object.entries(parts[channel] ?? {})) {
      try {
        liquid.parse(text);
      } catch (error) {
        problems.push({
          field: `${prefix}${channel}.${part}`,
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

/**
 * A critical type, or one of a required category, must arrive at once and every time: it is never capped nor digested,
 * so a template that asks for either is refused rather than silently sent without them.
 */
function mustArriveProblems(template: TemplateDocument, catalogue: CategoryCatalogue): FieldProblem[] {
  const required = catalogue.categories[categoryOf(template, catalogue)]?.required ?? false;
  if (!template.critical && !required) return [];
  const why = template.critical
    ? 'a critical type'
    : `a type of the required category ${categoryOf(template, catalogue)}`;
  return (['throttle', 'digest'] as const)
    .filter((field) => (template as Record<string, unknown>)[field] !== undefined)
    .map((field) => ({ field, message: `is not allowed on ${why}: it must arrive at once, every time` }));
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
