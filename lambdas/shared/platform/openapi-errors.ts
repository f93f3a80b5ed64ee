/**
 * The error answers of the OpenAPI description: the ones operations share are written once, as components.responses,
 * and each operation refers to those it can give, so a viewer shows each error once and a generator types it once.
 */
import { MAX_BODY_BYTES } from '../http/request.js';
import type { Answer, Operation } from './operations.js';

interface SharedError {
  readonly status: number;
  readonly description: string;
  /** Whether the answer says when to try again. */
  readonly retryAfter?: true;
}

/** Named by the status's reason, as generators and viewers expect. */
const SHARED_ERRORS = {
  BadRequest: { status: 400, description: 'a parameter or the body is invalid; details name each field' },
  Forbidden: {
    status: 403,
    description:
      'no valid API key (answered by API Gateway), or the producer lacks the scope or does not own the type or topic',
  },
  NotSigned: {
    status: 403,
    description: 'not signed by Twilio (X-Twilio-Signature), or mis-signed: nothing changes',
  },
  NotFound: { status: 404, description: 'not found' },
  Conflict: {
    status: 409,
    description: 'the Idempotency-Key was used for another body, or is in use right now',
    retryAfter: true,
  },
  NothingLeft: {
    status: 409,
    description:
      'nothing is left to stop: every channel was sent or is being sent (already_sent), or a digest member is joining ' +
      'its digest right now (digest_in_progress: retry after Retry-After)',
    retryAfter: true,
  },
  PayloadTooLarge: {
    status: 413,
    description: `the body is larger than the operation takes: ${MAX_BODY_BYTES} bytes, unless its x-max-body-bytes says more`,
  },
  UnsupportedMediaType: { status: 415, description: 'the body is not of the media type the operation takes' },
  UnprocessableContent: {
    status: 422,
    description: 'well-formed, but it cannot be done (an unknown type, a platform not configured)',
  },
  TooManyRequests: {
    status: 429,
    description: "over the producer's usage plan, or over the source IP's rate; retry after Retry-After",
    retryAfter: true,
  },
  ServerError: { status: 500, description: 'a fault of the platform; it has been logged' },
  ServiceUnavailable: {
    status: 503,
    description: 'a dependency is throttled or unavailable; retry after Retry-After',
    retryAfter: true,
  },
} as const satisfies Record<string, SharedError>;

type SharedErrorName = keyof typeof SHARED_ERRORS;

/** components.headers: the headers shared errors answer with. */
export const SHARED_HEADERS = {
  RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};

/**
 * components.responses: every shared error, its body the platform's error or API Gateway's own message (`errorBody`,
 * which names the schemas in components.schemas).
 */
export function sharedErrorResponses(errorBody: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(SHARED_ERRORS).map(([name, error]: [string, SharedError]) => [
      name,
      {
        description: error.description,
        ...(error.retryAfter ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
        content: { 'application/json': { schema: errorBody } },
      },
    ]),
  );
}

function shared(...names: (SharedErrorName | false)[]) {
  return Object.fromEntries(
    names
      .filter((name) => name !== false)
      .map((name) => [SHARED_ERRORS[name].status, { $ref: `#/components/responses/${name}` }]),
  );
}

/**
 * A recipient's link answers a person, not a program: its refusals are a page (or plain text) as its answer is, its
 * own, so written where it is. API Gateway's limits and the platform's faults are the same JSON as everywhere.
 */
function recipientErrorAnswers(operation: Operation) {
  const mediaType = Object.values(operation.answers as Record<string, Answer>)[0]?.mediaType ?? 'text/html';
  const page = { content: { [mediaType]: { schema: { type: 'string' } } } };
  return {
    ...(operation.body ? { 400: { description: 'the body is not what the link takes', ...page } } : {}),
    403: { description: "the link is not valid: its token is not the platform's, or the form is not its own", ...page },
    410: {
      description: 'the link has expired, or was made for a person since erased (a new person now has the id)',
      ...page,
    },
    ...shared(
      operation.body !== undefined && 'PayloadTooLarge',
      'TooManyRequests',
      'ServerError',
      'ServiceUnavailable',
    ),
  };
}

/** The error answers an operation can give, by who calls it and what it takes. */
export function errorAnswers(operation: Operation, hasPathParameters: boolean) {
  if (operation.caller === 'recipient') return recipientErrorAnswers(operation);
  const takesBody = operation.body !== undefined;
  // A batch's items are refused in its answer's results (a 409, a 422 there), never the request.
  const oneByOne = operation.batch !== undefined;
  return shared(
    (takesBody || hasPathParameters || operation.queryParameters !== undefined) && 'BadRequest',
    operation.caller === 'twilio' ? 'NotSigned' : 'Forbidden',
    (hasPathParameters || operation.lookup === true) && 'NotFound',
    operation.idempotent === true && 'Conflict',
    operation.mayFindNothingLeft === true && 'NothingLeft',
    takesBody && 'PayloadTooLarge',
    takesBody && 'UnsupportedMediaType',
    takesBody && !oneByOne && 'UnprocessableContent',
    'TooManyRequests',
    'ServerError',
    'ServiceUnavailable',
  );
}
