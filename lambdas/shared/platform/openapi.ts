/**
 * The OpenAPI 3.1 description of the API, generated from the operations table and its zod schemas, so that it cannot
 * say other than what the handlers check. Served at GET /v1/openapi.json and committed as docs/openapi.json.
 */
import packageJson from '../../../package.json' with { type: 'json' };
import { errorAnswerSchema, gatewayAnswerSchema } from '../schemas/answers.js';
import { idempotencyKeySchema } from '../schemas/identifiers.js';
import * as z from '../schemas/zod.js';
import { errorAnswers, SHARED_HEADERS, sharedErrorResponses } from './openapi-errors.js';
import { API_TAGS, type TagAudience } from './openapi-tags.js';
import {
  maxBodyBytesOf,
  needsApiKey,
  OPERATION_LIST,
  type Operation,
  pathParameterNames,
  queryParameterList,
} from './operations.js';

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

/**
 * Where the API answers, under its one stage (/v1, lib/notification-api.ts). `npm start`'s first: generators take the
 * first as their default, and Schemathesis takes its path, on the host it read the document from.
 */
const SERVERS = [
  { url: 'http://127.0.0.1:3000/v1', description: '`npm start`, the local runtime (PORT changes the port)' },
  {
    url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
    description:
      "A deployed stack: its ApiUrl output. Webhooks and recipient links are at its PublicApiUrl, which is this one's " +
      "unless the producers' API is private, or the custom domain when api.domainName is set.",
    variables: {
      apiId: { default: 'a1b2c3d4e5', description: "The REST API's id" },
      region: { default: 'eu-central-1', description: "The stack's AWS region" },
    },
  },
];

const TAG_GROUP: Record<TagAudience, string> = {
  producer: 'Producer API',
  tooling: 'Producer API',
  provider: 'Called by providers and recipients',
  recipient: 'Called by providers and recipients',
};

/** Redocly's x-tagGroups: what a producer calls apart from what Twilio and a recipient's browser call. */
function tagGroups() {
  const groups = new Map<string, string[]>();
  for (const [name, tag] of Object.entries(API_TAGS)) {
    const group = TAG_GROUP[tag.audience];
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  return [...groups].map(([name, tags]) => ({ name, tags }));
}

function operationObject(id: string, operation: Operation, components: Components) {
  const shape = operation.pathParameters.shape as Record<string, z.ZodMiniType>;
  const pathParameters = pathParameterNames(operation.path);
  const parameters: Record<string, unknown>[] = pathParameters.map((name) => {
    const schema = shape[name];
    if (!schema) throw new Error(`operation ${id}: the path names {${name}} but its pathParameters do not`);
    return { name, in: 'path', required: true, schema: components.schema(schema, 'input') };
  });
  for (const { name, schema, required } of queryParameterList(operation))
    parameters.push({ name, in: 'query', required, schema: components.schema(schema, 'input') });
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
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    ...(operation.scope ? { 'x-required-scope': operation.scope } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(needsApiKey(operation) ? {} : { security: [] }),
    ...(operation.body
      ? {
          // Larger is 413 (openapi-errors.ts), before the body is read.
          'x-max-body-bytes': maxBodyBytesOf(operation),
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
    responses: { ...successes, ...errorAnswers(operation, pathParameters.length > 0) },
  };
}

export function openApiDocument() {
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { id, ...operation } of OPERATION_LIST) {
    paths[operation.path] ??= {};
    (paths[operation.path] as Record<string, unknown>)[operation.method.toLowerCase()] = operationObject(
      id,
      operation,
      components,
    );
  }
  // The body of every JSON error: the platform's error, or API Gateway's own message.
  const errorBody = {
    anyOf: [components.schema(errorAnswerSchema, 'output'), components.schema(gatewayAnswerSchema, 'output')],
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Notification platform API',
      version: packageJson.version,
      description:
        'Producers (internal services, each with its own API key, scopes and notification types) send notifications ' +
        'and manage preferences, contacts, push devices and templates. Errors are {error: {code, message, details?}}; ' +
        'API Gateway answers a missing key or a producer over its limits itself, as {message}. Webhooks and recipient ' +
        'links are called by Twilio and by recipients, not by producers.',
      license: { name: packageJson.license, identifier: packageJson.license },
    },
    servers: SERVERS,
    security: [{ apiKey: [] }],
    tags: Object.entries(API_TAGS).map(([name, tag]) => ({
      name,
      'x-displayName': tag.title,
      description: tag.description,
    })),
    'x-tagGroups': tagGroups(),
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      responses: sharedErrorResponses(errorBody),
      headers: SHARED_HEADERS,
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
