import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { preferencesOf, UsersStore, unsubscribesOf } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import type { CategoryCatalogue } from '../shared/domain/categories.js';
import {
  type ConsentGrant,
  type ConsentTokenKeys,
  isTokenBoundValue,
  tokenBoundValue,
  verifyConsentToken,
} from '../shared/domain/consent-token.js';
import { type Language, languageOf } from '../shared/domain/language.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { bodyText, formFields, header } from '../shared/http/request.js';
import { logger, metrics } from '../shared/observability.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { consentKeys } from '../shared/platform/consent-keys.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { OPERATIONS } from '../shared/platform/operations.js';
import { messagePage, PAGE_HEADERS, preferencePage } from './page.js';
import { readPreferenceForm } from './page-form.js';
import { PAGE_TEXT } from './page-text.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const publicApiUrl = new URL(requiredEnv(ENV.publicApiUrl));
/** The page's CSRF cookie: same-site only, never readable by a script, sent back only to the API's own paths. */
const CSRF_COOKIE = 'consent_csrf';
const TIME_ZONES = Intl.supportedValuesOf('timeZone');

/**
 * A recipient's links, with no API key: their token, signed by the platform, is the authority. The email's one-click
 * unsubscribe (RFC 8058), and the preference page with its form. A token that is not the platform's is refused with
 * 403 and changes nothing; one for a person erased since gets a page saying there is nothing left to change.
 */
export const handler = apiHandler(async (event) => {
  const token = event.pathParameters?.token ?? '';
  const keys = await consentKeys();
  const grant = verifyConsentToken(token, keys);
  const route = `${event.httpMethod} ${event.resource.replace(/^\/v1(?=\/)/, '')}`;
  if (!grant) {
    logger.warn('recipient link refused: not signed by the platform');
    metrics.addMetric('RecipientLinksRefused', MetricUnit.Count, 1);
    return route === `POST ${OPERATIONS.unsubscribe.path}`
      ? plain(403, 'This link is not valid.')
      : html(403, messagePage('en', PAGE_TEXT.en.invalidTitle, PAGE_TEXT.en.invalid));
  }
  logger.appendKeys({ user_id: grant.userId, category: grant.category, channel: grant.channel });
  const catalogue = categoryCatalogue();
  switch (route) {
    case `POST ${OPERATIONS.unsubscribe.path}`:
      return unsubscribe(event, grant, catalogue);
    case `GET ${OPERATIONS.getPreferencePage.path}`:
      return showPage(token, grant, keys, catalogue);
    case `POST ${OPERATIONS.savePreferencePage.path}`:
      return savePage(event, token, grant, keys, catalogue);
    default:
      return plain(405, 'Not here.');
  }
});

/**
 * RFC 8058: the mail provider POSTs `List-Unsubscribe=One-Click` (form-encoded or multipart) and the person is out of
 * the category on that channel at once. A POST without it (not a one-click request) changes nothing.
 */
async function unsubscribe(
  event: APIGatewayProxyEvent,
  grant: ConsentGrant,
  catalogue: CategoryCatalogue,
): Promise<APIGatewayProxyResult> {
  if (!/List-Unsubscribe["']?\s*(=|\r?\n\r?\n)\s*One-Click/.test(bodyText(event)))
    return plain(400, 'A one-click unsubscribe posts List-Unsubscribe=One-Click.');
  if (catalogue.categories[grant.category]?.required) return plain(200, 'There is nothing to unsubscribe from here.');
  const unsubscribed = await users.unsubscribe(grant.userId, grant.category, grant.channel, new Date().toISOString());
  logger.info(unsubscribed ? 'unsubscribed by the one-click link' : 'one-click link of a person erased');
  if (unsubscribed) metrics.addMetric('OneClickUnsubscribes', MetricUnit.Count, 1);
  return plain(200, unsubscribed ? 'You are unsubscribed.' : 'There is nothing left to change.');
}

async function showPage(
  token: string,
  grant: ConsentGrant,
  keys: ConsentTokenKeys,
  catalogue: CategoryCatalogue,
  notice?: { notice?: 'saved'; problem?: string; status?: number },
): Promise<APIGatewayProxyResult> {
  const user = await users.findFresh(grant.userId);
  const language = languageOf(user?.locale);
  if (!user) return html(200, messagePage(language, PAGE_TEXT[language].goneTitle, PAGE_TEXT[language].gone));
  // A fresh nonce for each page shown: the form's CSRF field is bound to it and to the token.
  const nonce = randomBytes(18).toString('base64url');
  const page = preferencePage({
    language,
    catalogue,
    preferences: preferencesOf(user),
    unsubscribed: unsubscribesOf(user),
    from: { category: grant.category, channel: grant.channel },
    csrf: tokenBoundValue(`${token}.${nonce}`, 'csrf', keys),
    timeZones: TIME_ZONES,
    ...(notice?.notice ? { notice: notice.notice } : {}),
    ...(notice?.problem ? { problem: notice.problem } : {}),
  });
  return html(notice?.status ?? 200, page, { 'Set-Cookie': csrfCookie(nonce) });
}

async function savePage(
  event: APIGatewayProxyEvent,
  token: string,
  grant: ConsentGrant,
  keys: ConsentTokenKeys,
  catalogue: CategoryCatalogue,
): Promise<APIGatewayProxyResult> {
  const form = formFields(event);
  const nonce = cookie(event, CSRF_COOKIE);
  const origin = header(event, 'Origin');
  const sameOrigin = origin === undefined || origin === publicApiUrl.origin;
  if (!nonce || !sameOrigin || !isTokenBoundValue(form.csrf ?? '', `${token}.${nonce}`, 'csrf', keys)) {
    logger.warn('preference form refused: not the page’s own');
    metrics.addMetric('RecipientLinksRefused', MetricUnit.Count, 1);
    return html(403, messagePage('en', PAGE_TEXT.en.invalidTitle, PAGE_TEXT.en.invalid));
  }
  const user = await users.findFresh(grant.userId);
  const language: Language = languageOf(user?.locale);
  if (!user) return html(200, messagePage(language, PAGE_TEXT[language].goneTitle, PAGE_TEXT[language].gone));
  const reading = readPreferenceForm(form, preferencesOf(user), catalogue);
  if ('problem' in reading) {
    const problem = reading.problem === 'bad_time' ? PAGE_TEXT[language].badTime : PAGE_TEXT[language].badTimeZone;
    return showPage(token, grant, keys, catalogue, { problem, status: 400 });
  }
  await users.saveOwnPreferences(grant.userId, reading.preferences, reading.resubscribed, new Date().toISOString());
  logger.info('preferences saved on the preference page');
  metrics.addMetric('PreferencePagesSaved', MetricUnit.Count, 1);
  return showPage(token, grant, keys, catalogue, { notice: 'saved' });
}

function csrfCookie(nonce: string): string {
  const secure = publicApiUrl.protocol === 'https:' ? '; Secure' : '';
  return `${CSRF_COOKIE}=${nonce}; Path=${publicApiUrl.pathname.replace(/\/$/, '')}/consent; HttpOnly; SameSite=Strict; Max-Age=3600${secure}`;
}

function cookie(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const pair of (header(event, 'Cookie') ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function html(statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...PAGE_HEADERS, ...headers }, body };
}

function plain(statusCode: number, body: string): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, body };
}
