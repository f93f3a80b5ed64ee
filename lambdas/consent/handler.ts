import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { preferencesOf, type UserItem, UsersStore, unsubscribesOf } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import type { CategoryCatalogue } from '../shared/domain/categories.js';
import {
  type ConsentGrant,
  type ConsentTokenKeys,
  isTokenBoundValue,
  type LinkPower,
  linkPower,
  tokenBoundValue,
  verifyConsentToken,
} from '../shared/domain/consent-token.js';
import { type Language, languageOf } from '../shared/domain/language.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { bodyText, formFields, header } from '../shared/http/request.js';
import { logger, metrics } from '../shared/observability.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { consentKeys, linkLifetimes } from '../shared/platform/consent-keys.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { OPERATIONS } from '../shared/platform/operations.js';
import { csrfCookie, csrfNonce } from './csrf-cookie.js';
import { messagePage, PAGE_HEADERS, preferencePage } from './page.js';
import { readPreferenceForm } from './page-form.js';
import { PAGE_TEXT } from './page-text.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const publicApiUrl = new URL(requiredEnv(ENV.publicApiUrl));
const lifetimes = linkLifetimes();
const TIME_ZONES = Intl.supportedValuesOf('timeZone');

/** A request with a genuine token, for a person who still exists. */
interface LinkRequest {
  readonly event: APIGatewayProxyEvent;
  readonly token: string;
  readonly grant: ConsentGrant;
  readonly keys: ConsentTokenKeys;
  readonly user: UserItem;
  readonly language: Language;
  readonly power: Exclude<LinkPower, 'expired' | 'superseded'>;
  readonly catalogue: CategoryCatalogue;
}

/**
 * A recipient's links, with no API key: their token, signed by the platform, is the authority. The email's one-click
 * unsubscribe (RFC 8058), and the preference page with its form. A token that is not the platform's is refused with
 * 403 and changes nothing; one for a person erased since gets a page saying there is nothing left to change; an
 * expired one, or one of a person erased and made again since, 410. A link past the age that may change anything may
 * still unsubscribe, never re-subscribe (linkPower).
 */
export const handler = apiHandler(async (event) => {
  const token = event.pathParameters?.token ?? '';
  const route = `${event.httpMethod} ${event.resource.replace(/^\/v1(?=\/)/, '')}`;
  const oneClick = route === `POST ${OPERATIONS.unsubscribe.path}`;
  const verified = await verifiedToken(token);
  if (!verified) {
    logger.warn('recipient link refused: not signed by the platform');
    metrics.addMetric('RecipientLinksRefused', MetricUnit.Count, 1);
    return refusal(oneClick, 403, 'en', 'invalid');
  }
  const { grant, keys } = verified;
  logger.appendKeys({ user_id: grant.userId, category: grant.category, channel: grant.channel });
  const user = await users.findFresh(grant.userId);
  const language = languageOf(user?.locale);
  if (!user) {
    logger.info('link of a person erased');
    return oneClick
      ? plain(200, 'There is nothing left to change.')
      : html(200, messagePage(language, PAGE_TEXT[language].goneTitle, PAGE_TEXT[language].gone));
  }
  const power = linkPower(grant, { generation: user.link_generation }, Math.floor(Date.now() / 1000), lifetimes);
  if (power === 'expired' || power === 'superseded') {
    logger.warn('recipient link refused', { reason: power });
    metrics.addMetric('RecipientLinksRefused', MetricUnit.Count, 1);
    return refusal(oneClick, 410, language, 'expired');
  }
  const request = { event, token, grant, keys, user, language, power, catalogue: categoryCatalogue() };
  switch (route) {
    case `POST ${OPERATIONS.unsubscribe.path}`:
      return unsubscribe(request);
    case `GET ${OPERATIONS.getPreferencePage.path}`:
      return showPage(request);
    case `POST ${OPERATIONS.savePreferencePage.path}`:
      return savePage(request);
    default:
      return plain(405, 'Not here.');
  }
});

/**
 * The token's grant and the keys it was checked with. A token signed with a key this instance does not hold yet (the
 * keys were rotated a moment ago) is checked again with the keys read afresh.
 */
function verifiedToken(token: string): Promise<{ grant: ConsentGrant; keys: ConsentTokenKeys } | undefined> {
  return consentKeys.withFreshOnRefusal((keys) => {
    const grant = verifyConsentToken(token, keys);
    return grant && { grant, keys };
  });
}

/**
 * RFC 8058: the mail provider POSTs `List-Unsubscribe=One-Click` (form-encoded or multipart) and the person is out of
 * the category on that channel at once. A POST without it (not a one-click request) changes nothing.
 */
async function unsubscribe({ event, grant, catalogue }: LinkRequest): Promise<APIGatewayProxyResult> {
  if (!/List-Unsubscribe["']?\s*(=|\r?\n\r?\n)\s*One-Click/.test(bodyText(event)))
    return plain(400, 'A one-click unsubscribe posts List-Unsubscribe=One-Click.');
  if (catalogue.categories[grant.category]?.required) return plain(200, 'There is nothing to unsubscribe from here.');
  const unsubscribed = await users.unsubscribe(grant.userId, grant.category, grant.channel, new Date().toISOString());
  logger.info(unsubscribed ? 'unsubscribed by the one-click link' : 'one-click link of a person erased');
  if (unsubscribed) metrics.addMetric('OneClickUnsubscribes', MetricUnit.Count, 1);
  return plain(200, unsubscribed ? 'You are unsubscribed.' : 'There is nothing left to change.');
}

async function showPage(
  request: LinkRequest,
  notice?: { notice?: 'saved'; problem?: string; status?: number },
): Promise<APIGatewayProxyResult> {
  const { token, grant, keys, user, language, catalogue } = request;
  // The form's CSRF field is bound to the token and to a nonce in a cookie of this token's own, so that pages of two
  // links open at once do not overwrite each other's; a second tab of the same link shares its nonce.
  const nonce = csrfNonce(request.event, token) ?? randomBytes(18).toString('base64url');
  const page = preferencePage({
    language,
    catalogue,
    preferences: preferencesOf(user),
    unsubscribed: unsubscribesOf(user),
    from: { category: grant.category, channel: grant.channel },
    csrf: tokenBoundValue(`${token}.${nonce}`, 'csrf', keys),
    timeZones: TIME_ZONES,
    ...(request.power === 'unsubscribe'
      ? { unsubscribeOnlyAfterDays: Math.round(lifetimes.changeAnythingSeconds / 86_400) }
      : {}),
    ...(notice?.notice ? { notice: notice.notice } : {}),
    ...(notice?.problem ? { problem: notice.problem } : {}),
  });
  return html(notice?.status ?? 200, page, { 'Set-Cookie': csrfCookie(token, nonce, publicApiUrl) });
}

async function savePage(request: LinkRequest): Promise<APIGatewayProxyResult> {
  const { event, token, grant, user, language, catalogue } = request;
  const form = formFields(event);
  const nonce = csrfNonce(event, token);
  const origin = header(event, 'Origin');
  const sameOrigin = origin === undefined || origin === publicApiUrl.origin;
  if (!nonce || !sameOrigin || !(await isPagesOwnForm(form.csrf ?? '', `${token}.${nonce}`))) {
    logger.warn('preference form refused: not the page’s own');
    metrics.addMetric('RecipientLinksRefused', MetricUnit.Count, 1);
    return html(403, messagePage('en', PAGE_TEXT.en.invalidTitle, PAGE_TEXT.en.invalid));
  }
  const current = { preferences: preferencesOf(user), ownWord: user.unsubscribes ?? new Set<string>() };
  const reading = readPreferenceForm(form, current, catalogue, request.power === 'any');
  if ('problem' in reading) {
    const problem = reading.problem === 'bad_time' ? PAGE_TEXT[language].badTime : PAGE_TEXT[language].badTimeZone;
    return showPage(request, { problem, status: 400 });
  }
  const at = new Date().toISOString();
  if (!(await users.saveOwnPreferences(grant.userId, reading.preferences, reading.change, at)))
    return html(200, messagePage(language, PAGE_TEXT[language].goneTitle, PAGE_TEXT[language].gone));
  logger.info('preferences saved on the preference page', { power: request.power });
  metrics.addMetric('PreferencePagesSaved', MetricUnit.Count, 1);
  const saved = await users.findFresh(grant.userId);
  return showPage({ ...request, user: saved ?? user }, { notice: 'saved' });
}

/** Whether the CSRF field is the one a page of this link set, read again with fresh keys if the keys rotated since. */
async function isPagesOwnForm(value: string, bound: string): Promise<boolean> {
  const own = await consentKeys.withFreshOnRefusal(
    (keys) => isTokenBoundValue(value, bound, 'csrf', keys) || undefined,
  );
  return own === true;
}

function refusal(oneClick: boolean, status: 403 | 410, language: Language, why: 'invalid' | 'expired') {
  const text = PAGE_TEXT[language];
  if (oneClick) return plain(status, why === 'invalid' ? 'This link is not valid.' : 'This link has expired.');
  return html(
    status,
    why === 'invalid'
      ? messagePage(language, text.invalidTitle, text.invalid)
      : messagePage(language, text.expiredTitle, text.expired),
  );
}

function html(statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...PAGE_HEADERS, ...headers }, body };
}

function plain(statusCode: number, body: string): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, body };
}
