import type { APIGatewayProxyEvent } from 'aws-lambda';
import type * as z from '../schemas/zod.js';
import { ApiError, type FieldProblem, invalidRequest } from './api-error.js';

/**
 * A request body larger than this is refused before it is parsed, unless its operation takes more (a batch's:
 * operations.ts, maxBodyBytes). AWS WAF and the local gateway enforce the same limits.
 */
export const MAX_BODY_BYTES = 64 * 1024;
/** What the edge (AWS WAF, and the local gateway) answers, with 413, to a body over its operation's limit. */
export const BODY_TOO_LARGE_ANSWER = '{"error":{"code":"payload_too_large","message":"the body is too large"}}';

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The body as text, as the caller sent it (API Gateway hands a binary one over in base64); empty when none. */
export function bodyText(event: APIGatewayProxyEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** A form's fields (application/x-www-form-urlencoded); a repeated name keeps its last value. */
export function formFields(event: APIGatewayProxyEvent): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(bodyText(event)));
}

/** Reads, parses and validates a JSON body of at most `maxBytes`; anything else is a 4xx that names what is wrong. */
export function parseJsonBody<Schema extends z.ZodMiniType>(
  event: APIGatewayProxyEvent,
  schema: Schema,
  maxBytes = MAX_BODY_BYTES,
): z.infer<Schema> {
  const contentType = header(event, 'content-type');
  if (!contentType || !/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json', [
      { field: 'Content-Type', message: `expected application/json, got ${contentType ? `"${contentType}"` : 'none'}` },
    ]);
  }
  if (event.body === null || event.body === '')
    throw invalidRequest([{ field: 'body', message: 'a JSON body is required' }]);

  const text = bodyText(event);
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new ApiError(413, 'payload_too_large', `the body is larger than ${maxBytes} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'malformed_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  return validate(schema, json, '');
}

/** Validates path parameters; a bad one is a 400 naming it (e.g. `user_id`). */
export function parsePathParameters<Schema extends z.ZodMiniType>(
  event: APIGatewayProxyEvent,
  schema: Schema,
): z.infer<Schema> {
  return validate(schema, event.pathParameters ?? {}, '');
}

/**
 * Validates the query string's parameters as API Gateway hands them over (a repeated one, its last value); a bad one
 * is a 400 naming it (e.g. `limit`), and the ones the schema does not name are ignored.
 */
export function parseQueryParameters<Schema extends z.ZodMiniType>(
  event: APIGatewayProxyEvent,
  schema: Schema,
): z.infer<Schema> {
  return validate(schema, event.queryStringParameters ?? {}, '');
}

export function validate<Schema extends z.ZodMiniType>(
  schema: Schema,
  value: unknown,
  prefix: string,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequest(result.error.issues.flatMap((issue) => problemsOf(issue, prefix)));
}

function problemsOf(issue: z.core.$ZodIssue, prefix: string): FieldProblem[] {
  const path = [prefix, ...issue.path.map(String)].filter(Boolean);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
  }
  return [{ field: path.join('.') || 'body', message: issue.message }];
}
