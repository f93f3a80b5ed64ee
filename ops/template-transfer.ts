/**
 * `push` and `pull` over the API: GET /v1/templates/{type} to see the platform's copy, PUT to write one, GET
 * /v1/templates to list them all. Used by `npm run templates` and by the demo, so that the folder is the one source of
 * the examples.
 */
import { NotificationApiError, type NotificationClient } from '@notification-platform/client';
import { type TemplateDocument, templateSchema } from '../lambdas/shared/schemas/template.js';
import type { TemplateFile } from './template-folder.js';
import { pushDecision, templateFingerprint } from './template-sync.js';

export type TemplateApi = Pick<NotificationClient, 'getTemplate' | 'putTemplate'>;
export type TemplateListApi = Pick<NotificationClient, 'getTemplate' | 'listTemplates'>;

type TemplateAnswer = Awaited<ReturnType<NotificationClient['getTemplate']>>;

/** The document a template answer holds: what a file holds, without the type, owner and time the platform adds. */
function documentOf({ type: _type, owner: _owner, updated_at: _updatedAt, ...document }: TemplateAnswer) {
  return templateSchema.parse(document);
}

export type PushOutcome =
  | { readonly type: string; readonly outcome: 'created' | 'updated' | 'unchanged' }
  | { readonly type: string; readonly outcome: 'conflict' | 'failed'; readonly reason: string };

/** The template as the platform holds it, or undefined when it has none. */
export async function platformTemplate(
  api: Pick<NotificationClient, 'getTemplate'>,
  type: string,
): Promise<{ template: TemplateDocument; updatedAt?: string } | undefined> {
  try {
    const answer = await api.getTemplate({ path: { type } });
    return { template: documentOf(answer), ...(answer.updated_at ? { updatedAt: answer.updated_at } : {}) };
  } catch (error) {
    if (error instanceof NotificationApiError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Writes each file whose template the platform does not hold yet, and only those, one after the other in the order
 * given. A template the platform holds as none of `committed`'s versions of its file (by type) was changed there: it is
 * left as it is and reported, unless `force`.
 */
export async function pushTemplates(
  api: TemplateApi,
  files: readonly TemplateFile[],
  {
    committed = new Map(),
    force = false,
  }: { committed?: ReadonlyMap<string, ReadonlySet<string>>; force?: boolean } = {},
): Promise<PushOutcome[]> {
  const outcomes: PushOutcome[] = [];
  for (const { type, file, template } of files) {
    const current = await platformTemplate(api, type);
    const decision = pushDecision({
      local: templateFingerprint(template),
      platform: current && templateFingerprint(current.template),
      committed: committed.get(type) ?? new Set(),
      force,
    });
    if (decision.action === 'conflict') {
      const since = current?.updatedAt ? ` (it changed there at ${current.updatedAt})` : '';
      outcomes.push({ type, outcome: 'conflict', reason: `${decision.reason}${since}` });
      continue;
    }
    if (decision.action === 'unchanged') {
      outcomes.push({ type, outcome: 'unchanged' });
      continue;
    }
    try {
      await api.putTemplate({ path: { type }, body: template });
      outcomes.push({ type, outcome: decision.action === 'create' ? 'created' : 'updated' });
    } catch (error) {
      if (!(error instanceof NotificationApiError)) throw error;
      outcomes.push({ type, outcome: 'failed', reason: refusal(file, error) });
    }
  }
  return outcomes;
}

/** The platform's refusal, each bad field named in the file it came from. */
function refusal(file: string, error: NotificationApiError): string {
  const fields = (error.details ?? []).map(({ field, message }) => `${file}: ${field}: ${message}`);
  return fields.length > 0 ? `${error.status} ${error.code}\n${fields.join('\n')}` : error.message;
}

export interface PulledTemplate {
  readonly type: string;
  readonly template: TemplateDocument | undefined;
}

/** The platform's copy of each type: undefined for a type it lacks. */
export async function pullTemplates(api: TemplateListApi, types: readonly string[]): Promise<PulledTemplate[]> {
  const pulled: PulledTemplate[] = [];
  for (const type of types) pulled.push({ type, template: (await platformTemplate(api, type))?.template });
  return pulled;
}

/**
 * Every template the platform holds, a page of GET /v1/templates at a time, and each of `alsoTypes` it lacks as
 * undefined; by type.
 */
export async function pullEveryTemplate(
  api: TemplateListApi,
  alsoTypes: readonly string[] = [],
): Promise<PulledTemplate[]> {
  const pulled = new Map<string, TemplateDocument | undefined>(alsoTypes.map((type) => [type, undefined]));
  let cursor: string | undefined;
  do {
    const page = await api.listTemplates(cursor === undefined ? {} : { query: { cursor } });
    for (const answer of page.templates) pulled.set(answer.type, documentOf(answer));
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return [...pulled]
    .map(([type, template]) => ({ type, template }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}
