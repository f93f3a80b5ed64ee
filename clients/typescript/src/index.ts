/**
 * A typed client for the notification platform's API (v1), for producers: one function per operation a producer's
 * service calls (the operations of the producer tags: not the webhooks Twilio calls, not the links a recipient
 * follows, not the API's own description). Every function is derived from operations.ts, which `npm run
 * client:generate` writes from the API's one table of operations and its OpenAPI document: its method, its path and
 * whether it takes an Idempotency-Key, and its types (the request as the API accepts it, the answer as it describes
 * it). It imports nothing else of the repository, so that it builds into a package of its own. Answers are not
 * validated at run time.
 *
 * Each call retries, with the same Idempotency-Key, what waiting can fix: 429, 503 and 409 idempotency_key_in_use,
 * after Retry-After when the answer says (else exponential backoff with jitter), and a connection refused, dropped
 * or timed out where a retry cannot do a thing twice (GET, PUT, DELETE, and a POST with an Idempotency-Key). A batch's
 * items each get their own key (`idempotency_key`) when they have none, so a batch is retried as safely; an item
 * refused in a batch's 200 answer is the caller's to send again, with its key.
 */
import { OPERATIONS, type ProducerOperationTypes } from './operations.js';

export type { ProducerOperationTypes } from './operations.js';
export * from './operations.js';
export {
  DEFAULT_USER_TOKEN_SECONDS,
  MAX_USER_TOKEN_SECONDS,
  mintUserToken,
  STACK_TOKEN_ISSUER,
  type StackTokenKey,
  USER_TOKEN_AUDIENCE,
} from './user-token.js';
export { type StateEvent, verifyWebhook, type WebhookDelivery, WebhookVerificationError } from './webhooks.js';

type Types = ProducerOperationTypes;
type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** The operations a producer's service calls with its API key: the ones this client offers. */
export type ProducerOperationId = keyof Types;
/** The same, by the name the platform's operations table gives them. */
export type OperationId = ProducerOperationId;

interface ProducerOperation {
  readonly id: ProducerOperationId;
  readonly method: HttpMethod;
  readonly path: string;
  readonly idempotent?: boolean;
  readonly batch?: { readonly field: string; readonly itemIdempotencyKey: string };
}

const PRODUCER_OPERATIONS: readonly ProducerOperation[] = Object.entries(OPERATIONS).map(([id, operation]) => ({
  id: id as ProducerOperationId,
  ...(operation as Omit<ProducerOperation, 'id'>),
}));

/** An operation's path parameters, as the API accepts them. */
export type PathParameters<Id extends ProducerOperationId> = Types[Id]['path'];

/** An operation's query parameters, as the API accepts them. */
export type QueryParameters<Id extends ProducerOperationId> = Types[Id]['query'];

/** An operation's body, as the API accepts it; never for an operation without one. */
export type RequestBody<Id extends ProducerOperationId> = Types[Id] extends { body: infer Body } ? Body : never;

/** What an operation answers when it succeeds; undefined for a 204. */
export type Answer<Id extends ProducerOperationId> = Types[Id]['answer'];

/**
 * One call's request: `path` for an operation with path parameters, `query` for one with query parameters, `body`
 * for one with a body.
 */
export type OperationRequest<Id extends ProducerOperationId> = (keyof PathParameters<Id> extends never
  ? { readonly path?: undefined }
  : { readonly path: PathParameters<Id> }) &
  (keyof QueryParameters<Id> extends never
    ? { readonly query?: undefined }
    : Record<never, never> extends QueryParameters<Id>
      ? { readonly query?: QueryParameters<Id> }
      : { readonly query: QueryParameters<Id> }) &
  (Types[Id] extends { body: unknown } ? { readonly body: RequestBody<Id> } : { readonly body?: undefined }) &
  ((typeof OPERATIONS)[Id] extends { readonly idempotent: true }
    ? {
        /** Generated per call when left out; the same key is sent on every retry of the call. */
        readonly idempotencyKey?: string;
      }
    : { readonly idempotencyKey?: undefined });

type Arguments<Id extends ProducerOperationId> =
  Record<never, never> extends OperationRequest<Id>
    ? [request?: OperationRequest<Id>]
    : [request: OperationRequest<Id>];

/** One function per operation a producer calls, named as the table names it. */
export type NotificationClient = {
  readonly [Id in ProducerOperationId]: (...args: Arguments<Id>) => Promise<Answer<Id>>;
};

/** What one attempt came to: an answer (`status`), or none (`error`). */
export interface AttemptOutcome {
  readonly operation: ProducerOperationId;
  readonly method: HttpMethod;
  /** The first attempt of a call is 1. */
  readonly attempt: number;
  /** The answer's status; undefined when no answer came (a connection refused or dropped, or a timeout). */
  readonly status: number | undefined;
  /** The answer's Retry-After header as sent; null without one, or without an answer. */
  readonly retryAfter: string | null;
  /** The platform's error code, for an error answer that has one. */
  readonly code?: string;
  /** Why no answer came. */
  readonly error?: unknown;
  /** Whether no answer came because the attempt ran out of time (timeoutMs). */
  readonly timedOut?: boolean;
  /** How long the client waits before the next attempt; undefined when there is none. */
  readonly retryInMs: number | undefined;
}

export interface NotificationClientOptions {
  /** The API's stage URL, e.g. https://abc123.execute-api.eu-central-1.amazonaws.com/v1 (a trailing / is fine). */
  readonly baseUrl: string;
  /** The producer's API key, sent as x-api-key. */
  readonly apiKey: string;
  /** Defaults to the global fetch. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Attempts per call, the first included (default 5). */
  readonly maxAttempts?: number;
  /** The longest wait between attempts, Retry-After included (default 20,000 ms). */
  readonly maxRetryDelayMs?: number;
  /** One attempt's time, answer body included, after which it counts as no answer (default 30,000 ms). */
  readonly timeoutMs?: number;
  /** How the client waits between attempts (default setTimeout). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called with every attempt's outcome, before any wait; what it throws ends the call with that error. */
  readonly onAttempt?: (outcome: AttemptOutcome) => void;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** An answer that is neither a success nor retried: the platform's `{error}` or API Gateway's `{message}`. */
export class NotificationApiError extends Error {
  override readonly name = 'NotificationApiError';

  constructor(
    readonly operation: ProducerOperationId,
    readonly status: number,
    /** The platform's code (e.g. invalid_request, type_not_allowed); undefined for API Gateway's own answers. */
    readonly code: string | undefined,
    message: string,
    /** For a bad request, each bad field. */
    readonly details: readonly FieldProblem[] | undefined,
    /** Retry-After, in seconds, when the answer had one. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
  }
}

/** No answer came, and the call was not retried: a POST without an Idempotency-Key may have been carried out. */
export class NotificationConnectionError extends Error {
  override readonly name = 'NotificationConnectionError';

  constructor(
    readonly operation: ProducerOperationId,
    readonly attempts: number,
    readonly timedOut: boolean,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Every attempt was retryable and none succeeded; `cause` is the last attempt's error. */
export class NotificationRetriesExhaustedError extends Error {
  override readonly name = 'NotificationRetriesExhaustedError';

  constructor(
    readonly operation: ProducerOperationId,
    readonly attempts: number,
    /** The last attempt's status; undefined when it got no answer. */
    readonly lastStatus: number | undefined,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_MAX_RETRY_DELAY_MS = 20_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** The first backoff is up to this; each next one up to twice the last, at most maxRetryDelayMs. */
const BACKOFF_BASE_MS = 200;

interface CallRequest {
  readonly path?: Readonly<Record<string, unknown>>;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
}

export function createNotificationClient(options: NotificationClientOptions): NotificationClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  new URL(baseUrl); // throws now for a URL that every call would fail on
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be an integer >= 1');
  const maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchAnswer = options.fetch ?? ((url, init) => fetch(url, init));
  const sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const report = options.onAttempt ?? (() => {});

  const backoff = (attempt: number) => {
    const ceiling = Math.min(maxRetryDelayMs, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  };

  async function call(operation: ProducerOperation, request: CallRequest = {}): Promise<unknown> {
    const idempotencyKey = operation.idempotent ? (request.idempotencyKey ?? crypto.randomUUID()) : undefined;
    const url = `${baseUrl}${expandPath(operation.path, request.path)}${queryString(request.query)}`;
    const body = request.body === undefined ? undefined : JSON.stringify(withItemKeys(operation, request.body));
    const headers: Record<string, string> = {
      'x-api-key': options.apiKey,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
    };
    // Retrying without an answer must not do the thing twice: a POST is safe only with its key.
    const safeWithoutAnswer =
      operation.method !== 'POST' || idempotencyKey !== undefined || operation.batch?.itemIdempotencyKey !== undefined;
    const label = `${operation.method} ${operation.path}`;
    const attemptOf = { operation: operation.id, method: operation.method };

    for (let attempt = 1; ; attempt++) {
      const more = attempt < maxAttempts;
      let status: number;
      let retryAfter: string | null;
      let text: string;
      try {
        const response = await fetchAnswer(url, {
          method: operation.method,
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.status;
        retryAfter = response.headers.get('Retry-After');
        text = await response.text();
      } catch (error) {
        const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
        const retryInMs = safeWithoutAnswer && more ? backoff(attempt) : undefined;
        report({ ...attemptOf, attempt, status: undefined, retryAfter: null, error, timedOut, retryInMs });
        const why = timedOut ? `timed out after ${timeoutMs} ms` : explain(error);
        if (!safeWithoutAnswer) {
          throw new NotificationConnectionError(
            operation.id,
            attempt,
            timedOut,
            `${label} got no answer (${why}); not retried: a POST without an Idempotency-Key may have been carried out`,
            { cause: error },
          );
        }
        if (retryInMs === undefined) {
          throw new NotificationRetriesExhaustedError(
            operation.id,
            attempt,
            undefined,
            `${label}: gave up after ${attempt} attempts; the last got no answer (${why})`,
            { cause: error },
          );
        }
        await sleep(retryInMs);
        continue;
      }

      if (status >= 200 && status < 300) {
        report({ ...attemptOf, attempt, status, retryAfter, retryInMs: undefined });
        return parseAnswer(label, status, text);
      }
      const error = apiError(operation.id, status, text, retryAfter);
      const retryable = status === 429 || status === 503 || (status === 409 && error.code === 'idempotency_key_in_use');
      const retryInMs = retryable && more ? waitFor(retryAfter, maxRetryDelayMs, () => backoff(attempt)) : undefined;
      report({ ...attemptOf, attempt, status, retryAfter, code: error.code, retryInMs });
      if (!retryable) throw error;
      if (retryInMs === undefined) {
        throw new NotificationRetriesExhaustedError(
          operation.id,
          attempt,
          status,
          `${label}: gave up after ${attempt} attempts; the last answered ${status}${error.code ? ` ${error.code}` : ''}`,
          { cause: error },
        );
      }
      await sleep(retryInMs);
    }
  }

  return Object.fromEntries(
    PRODUCER_OPERATIONS.map((operation) => [operation.id, (request?: CallRequest) => call(operation, request)]),
  ) as unknown as NotificationClient;
}

/** A batch's body with a key of its own for each item that has none (generated per call, the same on each retry). */
function withItemKeys(operation: ProducerOperation, body: unknown): unknown {
  const keyField = operation.batch?.itemIdempotencyKey;
  const listField = operation.batch?.field;
  if (keyField === undefined || listField === undefined || !isRecord(body) || !Array.isArray(body[listField]))
    return body;
  const items = (body[listField] as unknown[]).map((item) =>
    isRecord(item) && item[keyField] === undefined ? { ...item, [keyField]: crypto.randomUUID() } : item,
  );
  return { ...body, [listField]: items };
}

/** The path with each {parameter} filled in, URL-encoded. */
function expandPath(template: string, parameters: Readonly<Record<string, unknown>> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = parameters?.[name];
    if (value === undefined || value === null || value === '') throw new TypeError(`path parameter ${name} is missing`);
    return encodeURIComponent(String(value));
  });
}

/** `?name=value&...` for the parameters given (one left undefined is left out), or nothing. */
function queryString(parameters: Readonly<Record<string, unknown>> | undefined): string {
  const given = Object.entries(parameters ?? {}).filter(([, value]) => value !== undefined && value !== null);
  return given.length === 0
    ? ''
    : `?${new URLSearchParams(given.map(([name, value]): [string, string] => [name, String(value)]))}`;
}

/** Retry-After (seconds, or an HTTP date) when the answer has one, at most `ceiling`; else the backoff. */
function waitFor(retryAfter: string | null, ceiling: number, backoff: () => number): number {
  const asked = retryAfterMs(retryAfter);
  return Math.min(ceiling, asked ?? backoff());
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseAnswer(label: string, status: number, text: string): unknown {
  if (status === 204 || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${label} answered ${status} with a body that is not JSON`);
  }
}

function apiError(operation: ProducerOperationId, status: number, text: string, retryAfter: string | null) {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const platform = (parsed as { error?: unknown } | undefined)?.error;
  if (isRecord(platform)) {
    return new NotificationApiError(
      operation,
      status,
      typeof platform.code === 'string' ? platform.code : undefined,
      typeof platform.message === 'string' ? platform.message : `HTTP ${status}`,
      Array.isArray(platform.details) ? (platform.details as FieldProblem[]) : undefined,
      seconds,
    );
  }
  // API Gateway's own answers ({"message": "Forbidden"}), or a body that is not the platform's.
  const message = isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : text.slice(0, 500);
  return new NotificationApiError(operation, status, undefined, message || `HTTP ${status}`, undefined, seconds);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error.cause as { code?: unknown; message?: unknown } | undefined) ?? undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail ? `${error.message}: ${detail}` : error.message;
}
