import { CHANNELS } from '../channels/registry.js';
import { wordIn } from '../channels/sms/channel.js';
import { smsWordingFromEnv } from '../channels/sms/wording.js';
import { TemplateOwnedByAnother, TemplatesStore } from '../shared/adapters/templates-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { categoryOf } from '../shared/domain/categories.js';
import { languageOf } from '../shared/domain/language.js';
import { hasScope } from '../shared/domain/producer.js';
import { ApiError, type FieldProblem, notFound } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { missingScope, requireTypeOwnership } from '../shared/http/producer.js';
import { json } from '../shared/http/responses.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { pageCursor } from '../shared/schemas/paging.js';
import type { TemplateDocument } from '../shared/schemas/template.js';
import { RenderInterrupted, RenderLimitExceeded, templateRenderer } from '../shared/templates/bounded-renderer.js';
import { type RenderedPart, renderedProblems } from './rendered-problems.js';
import { templateProblems } from './template-problems.js';

const templates = new TemplatesStore(requiredEnv(ENV.templatesTable), documentClient);
const smsWording = smsWordingFromEnv();

/** The template as the API shows it: its parts by channel, its owner and when it changed (not who changed it). */
function view(type: string, template: TemplateDocument & { updated_at?: string; owner?: string }) {
  const parts = Object.fromEntries(CHANNELS.map((channel) => [channel, template[channel]]));
  return {
    type,
    critical: template.critical,
    category: categoryOf(template, categoryCatalogue()),
    ...parts,
    ...(template.locales ? { locales: template.locales } : {}),
    owner: template.owner,
    updated_at: template.updated_at,
  };
}

/**
 * Each channel rendered once over an empty payload, in a bounded render process: a template that exceeds the render
 * limits even then ({% assign a=(1..5000000) %}, a string doubling itself) is refused now rather than failing every
 * notification later, and so is one whose texts or pushes are already too long (rendered-problems.ts). Other render
 * errors are left to the payloads: an empty one proves nothing about them.
 */
async function renderProblems(type: string, template: TemplateDocument, leavable: boolean): Promise<FieldProblem[]> {
  // The default content and each locale's.
  const contents = [
    { prefix: '', locale: undefined, content: template },
    ...Object.entries(template.locales ?? {}).map(([locale, content]) => ({
      prefix: `locales.${locale}.`,
      locale,
      content,
    })),
  ];
  const renders = contents.flatMap(({ prefix, locale, content }) =>
    CHANNELS.flatMap((channel) => {
      const part = content[channel];
      if (!part) return [];
      const optOutLine = leavable ? wordIn(smsWording.optOutLine, languageOf(locale)) : undefined;
      return [{ channel, prefix, optOutLine, rendered: templateRenderer.render(channel, part, {}, locale) }];
    }),
  );
  const outcomes = await Promise.allSettled(renders.map((render) => render.rendered));
  const problems: FieldProblem[] = [];
  const rendered: RenderedPart[] = [];
  outcomes.forEach((outcome, index) => {
    const render = renders[index];
    if (outcome.status === 'fulfilled') {
      if (render) rendered.push({ ...render, rendered: outcome.value });
      return;
    }
    const error = outcome.reason;
    if (error instanceof RenderInterrupted)
      throw new ApiError(503, 'render_unavailable', 'templates cannot be checked just now; retry', undefined, 1);
    if (error instanceof RenderLimitExceeded)
      problems.push({
        field: error.field,
        message: `exceeds the render limits (${error.limit.replace('_', ' ')}) even over an empty payload`,
      });
  });
  return [...problems, ...renderedProblems(rendered, type)];
}

/** What each channel says for a notification type. */
export const handler = operationsHandler({
  putTemplate: async ({ producer, path: { type }, body: template }) => {
    const admin = hasScope(producer, 'admin');
    // A template says what the platform sends in the name of its type: only the type's owner may write it.
    if (!admin) requireTypeOwnership(producer, type);
    const catalogue = categoryCatalogue();
    // A required category's emails carry no unsubscribe link and ignore a person's opt-outs: only an admin says a
    // type is one (a critical type always is).
    const category = categoryOf(template, catalogue);
    if (!admin && catalogue.categories[category]?.required)
      throw missingScope(producer, 'admin', {
        why: `puts a type into the required category ${category}`,
        field: template.category === undefined ? 'critical' : 'category',
      });
    const problems = templateProblems(template, catalogue);
    const leavable = catalogue.categories[category]?.required === false;
    if (problems.length === 0) problems.push(...(await renderProblems(type, template, leavable)));
    if (problems.length > 0) {
      throw new ApiError(
        400,
        'invalid_template',
        `${problems.map((problem) => problem.field).join(', ')}: ${problems[0]?.message}`,
        problems,
      );
    }
    try {
      const saved = await templates.save(type, template, producer.name, { overrideOwner: admin });
      return json(200, view(type, saved));
    } catch (error) {
      if (!(error instanceof TemplateOwnedByAnother)) throw error;
      throw new ApiError(403, 'not_owner', `the template ${type} belongs to another producer`, [
        {
          field: 'type',
          message: 'belongs to another producer; only it, or a producer with the admin scope, may change it',
        },
      ]);
    }
  },
  listTemplates: async ({ query: { cursor, limit } }) => {
    const page = await templates.page({ limit, after: cursor?.type });
    const listed = page.items.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    return json(200, {
      templates: listed.map((template) => view(template.type, template)),
      ...(page.last === undefined ? {} : { next_cursor: pageCursor({ type: page.last }) }),
    });
  },
  getTemplate: async ({ path: { type } }) => {
    const template = await templates.findFresh(type);
    if (!template) throw notFound(`template ${type}`);
    return json(200, view(type, template));
  },
});
