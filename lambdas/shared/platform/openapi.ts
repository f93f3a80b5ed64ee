/**
 * The OpenAPI 3.1 description of the API, generated from the operations table and its zod schemas, so that it cannot
 * say other than what the handlers check. Served at GET /v1/openapi.json and committed as docs/openapi.json.
 */
import { MAX_BODY_BYTES } from '../http/request.js';
import { errorAnswerSchema, gatewayAnswerSchema } from '../schemas/answers.js';
import { idempotencyKeySchema } from '../schemas/identifiers.js';
import * as z from '../schemas/zod.js';
import { type Answer, needsApiKey, OPERATION_LIST, type Operation, pathParameterNames } from './operations.js';

type JsonSchema = Record<string, unknown>;

/** Schemas that carry an id (`z.meta({ id })`) become components, referenced wherever they appear. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  /** JSON Schema 2020-12 (OpenAPI 3.1's own dialect); `input` for what a caller sends, `output` for answers. */
  schema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
    const {
      $schema: _dialect,
      $defs,
      ...converted
    } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      // Refinements (a time zone that exists, a payload's depth) have no JSON Schema; the handlers still check them.
      unrepresentable: 'any',
      // What an address must be is zod's pattern, which comes along; the "email" format tools check besides it is
      // another reading of RFC 5321, which would refuse addresses the platform accepts.
      override: ({ jsonSchema }) => {
        if (jsonSchema.format === 'email') delete jsonSchema.format;
      },
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, definition] of Object.entries($defs ?? {})) this.schemas[id] = referencing(definition);
    return referencing(converted);
  }
}

/** `#/$defs/X` as OpenAPI's `#/components/schemas/X`. */
function referencing(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/'));
}

const RETRY_AFTER = {
  description: 'Seconds to wait before retrying',
  schema: { type: 'integer', minimum: 0 },
};

type ErrorContent = { readonly content: Record<string, unknown> };

/** The body of every error answer: the platform's error, or API Gateway's own message. Converted once. */
function errorContent(components: Components): ErrorContent {
  return {
    content: {
      'application/json': {
        schema: {
          anyOf: [components.schema(errorAnswerSchema, 'output'), components.schema(gatewayAnswerSchema, 'output')],
        },
      },
    },
  };
}

/**
 * A recipient's link answers a person, not a program: its refusals are a page (or plain text) as its answer is, and
 * API Gateway's limits and the platform's faults are the same JSON as everywhere.
 */
function recipientErrorAnswers(operation: Operation, error: ErrorContent) {
  const mediaType = Object.values(operation.answers as Record<string, Answer>)[0]?.mediaType ?? 'text/html';
  const page = { content: { [mediaType]: { schema: { type: 'string' } } } };
  const retry = { ...error, headers: { 'Retry-After': RETRY_AFTER } };
  return {
    ...(operation.body ? { 400: { description: 'the body is not what the link takes', ...page } } : {}),
    403: { description: "the link is not valid: its token is not the platform's, or the form is not its own", ...page },
    410: {
      description: 'the link has expired, or was made for a person since erased (a new person now has the id)',
      ...page,
    },
    ...(operation.body ? { 413: { description: `the body is larger than ${MAX_BODY_BYTES} bytes`, ...error } } : {}),
    429: { description: "over the address's rate", ...retry },
    500: { description: 'a fault of the platform; it has been logged', ...error },
    503: { description: 'a dependency is throttled or unavailable; retry after Retry-After', ...retry },
  };
}

/** The error answers an operation can give, by what it takes. */
function errorAnswers(operation: Operation, error: ErrorContent) {
  if (operation.caller === 'recipient') return recipientErrorAnswers(operation, error);
  const retry = { ...error, headers: { 'Retry-After': RETRY_AFTER } };
  const hasPathParameters = pathParameterNames(operation.path).length > 0;
  const takesInput = operation.body !== undefined || hasPathParameters;
  return {
    ...(takesInput
      ? { 400: { description: 'a parameter or the body is invalid; details name each field', ...error } }
      : {}),
    403: {
      description:
        'no valid API key (answered by API Gateway), or the producer lacks the scope or does not own the type',
      ...error,
    },
    ...(hasPathParameters || operation.lookup ? { 404: { description: 'not found', ...error } } : {}),
    ...(operation.idempotent
      ? { 409: { description: 'the Idempotency-Key was used for another body, or is in use right now', ...retry } }
      : {}),
    ...(operation.body
      ? {
          413: { description: `the body is larger than ${MAX_BODY_BYTES} bytes`, ...error },
          415: { description: 'the body is not JSON', ...error },
          422: {
            description: 'well-formed, but it cannot be done (an unknown type, a platform not configured)',
            ...error,
          },
        }
      : {}),
    429: { description: "over the producer's usage plan or the address's rate", ...retry },
    500: { description: 'a fault of the platform; it has been logged', ...error },
    503: { description: 'a dependency is throttled or unavailable; retry after Retry-After', ...retry },
  };
}

function operationObject(id: string, operation: Operation, components: Components, error: ErrorContent) {
  const shape = operation.pathParameters.shape as Record<string, z.ZodMiniType>;
  const parameters: Record<string, unknown>[] = pathParameterNames(operation.path).map((name) => {
    const schema = shape[name];
    if (!schema) throw new Error(`operation ${id}: the path names {${name}} but its pathParameters do not`);
    return { name, in: 'path', required: true, schema: components.schema(schema, 'input') };
  });
  if (operation.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'The same producer and key within 24 hours get the first answer and change nothing more',
      schema: components.schema(idempotencyKeySchema, 'input'),
    });
  }
  const successes = Object.fromEntries(
    Object.entries(operation.answers).map(([status, answer]) => [
      status,
      {
        description: answer.description,
        ...(answer.schema
          ? {
              content: {
                [answer.mediaType ?? 'application/json']: { schema: components.schema(answer.schema, 'output') },
              },
            }
          : {}),
        ...(answer.links ? { links: answer.links } : {}),
      },
    ]),
  );
  return {
    operationId: id,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    ...(operation.scope ? { 'x-required-scope': operation.scope } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(needsApiKey(operation) ? {} : { security: [] }),
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: {
              [operation.formBody ? 'application/x-www-form-urlencoded' : 'application/json']: {
                schema: components.schema(operation.body, 'input'),
              },
            },
          },
        }
      : {}),
    responses: { ...successes, ...errorAnswers(operation, error) },
  };
}

export function openApiDocument() {
  const components = new Components();
  const error = errorContent(components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { id, ...operation } of OPERATION_LIST) {
    paths[operation.path] ??= {};
    (paths[operation.path] as Record<string, unknown>)[operation.method.toLowerCase()] = operationObject(
      id,
      operation,
      components,
      error,
    );
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Notification platform API',
      version: '1',
      description:
        'Producers (internal services, each with its own API key, scopes and notification types) send notifications ' +
        'and manage preferences, contacts, push devices and templates. Errors are {error: {code, message, details?}}; ' +
        'API Gateway answers a missing key or a producer over its limits itself, as {message}.',
    },
    // Relative to where this document is served: the stage, /v1.
    servers: [{ url: '/v1' }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
