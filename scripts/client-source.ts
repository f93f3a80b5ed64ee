/**
 * Writes clients/typescript/src/operations.ts, the typed client's one view of the API: the producer's operations as
 * data (method, path, Idempotency-Key, a batch's item key) and their types (path and query parameters, body, answer),
 * generated from the OpenAPI document (lambdas/shared/platform/openapi.ts) with json-schema-to-typescript (pinned: a
 * JSON Schema's TypeScript is a solved problem). The client imports nothing else of the repository, so that it ships
 * as a package of its own. Run it after changing an operation: `npm run client:generate` (`npm run openapi` does it
 * too). A test fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { STATE_EVENT_TYPES } from '../lambdas/shared/domain/state-events.js';
import { openApiDocument } from '../lambdas/shared/platform/openapi.js';
import { isProducerTag } from '../lambdas/shared/platform/openapi-tags.js';
import { OPERATION_LIST } from '../lambdas/shared/platform/operations.js';
import { stateEventSchema } from '../lambdas/shared/schemas/state-event.js';
import * as z from '../lambdas/shared/schemas/zod.js';

export const CLIENT_OPERATIONS_FILE = new URL('../clients/typescript/src/operations.ts', import.meta.url);

interface OpenApiOperation {
  readonly operationId: string;
  readonly parameters?: { name: string; in: string; required?: boolean; schema: JSONSchema }[];
  readonly requestBody?: { content: Record<string, { schema: JSONSchema }> };
  readonly responses: Record<string, { content?: Record<string, { schema: JSONSchema }> } | { $ref: string }>;
}

const SUCCESS = /^20[0-4]$/;

/**
 * A schema without the `oneOf`s and `anyOf`s that only narrow an object already typed (`user_id` or `topic` required;
 * an APNs token's pattern for platform apns): TypeScript would read each member as an object of anything, and the
 * API names the field anyway.
 */
function withoutNarrowings(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutNarrowings);
  if (typeof schema !== 'object' || schema === null) return schema;
  const narrows = (members: unknown) =>
    Array.isArray(members) &&
    members.every(
      (member) => typeof member === 'object' && member !== null && !('type' in member) && !('$ref' in member),
    );
  const typed = 'type' in schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(typed && (key === 'oneOf' || key === 'anyOf') && narrows(value)))
      .map(([key, value]) => [key, withoutNarrowings(value)]),
  );
}

const OPTIONS = {
  bannerComment: '',
  additionalProperties: false,
  unreachableDefinitions: false,
  ignoreMinAndMaxItems: true,
  format: true,
  strictIndexSignatures: false,
} as const;

export async function clientOperationsText(): Promise<string> {
  const document = openApiDocument() as unknown as {
    paths: Record<string, Record<string, OpenApiOperation>>;
    components: Record<string, unknown>;
  };
  const byId = new Map(
    Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => [operation.operationId, operation] as const),
    ),
  );
  const producerOperations = OPERATION_LIST.filter((operation) => isProducerTag(operation.tag));

  const properties: Record<string, JSONSchema> = {};
  for (const operation of producerOperations) {
    const described = byId.get(operation.id);
    if (!described) throw new Error(`${operation.id} is not in the OpenAPI document`);
    const parameters = (where: 'path' | 'query'): JSONSchema => {
      const list = (described.parameters ?? []).filter((parameter) => parameter.in === where);
      return {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(list.map((parameter) => [parameter.name, parameter.schema])),
        required: list.filter((parameter) => parameter.required).map((parameter) => parameter.name),
      };
    };
    const answers = Object.entries(described.responses)
      .filter(([status]) => SUCCESS.test(status))
      .map(([, answer]) =>
        'content' in answer && answer.content?.['application/json']
          ? answer.content['application/json'].schema
          : { tsType: 'undefined' },
      );
    const describedBody = described.requestBody?.content['application/json']?.schema;
    const body = describedBody && (withoutNarrowings(describedBody) as JSONSchema);
    properties[operation.id] = {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: parameters('path'),
        query: parameters('query'),
        ...(body ? { body } : {}),
        answer: answers.length === 1 ? (answers[0] as JSONSchema) : { anyOf: answers },
      },
      required: ['path', 'query', ...(body ? ['body'] : []), 'answer'],
    };
  }
  const types = await compile(
    {
      title: 'ProducerOperationTypes',
      description: "Each producer operation's path and query parameters, body (as sent) and success answer.",
      type: 'object',
      additionalProperties: false,
      properties,
      required: Object.keys(properties),
      // Where the operations' $refs (#/components/schemas/...) point.
      components: document.components,
    } as JSONSchema,
    'ProducerOperationTypes',
    OPTIONS,
  );
  const events = await compile(
    {
      title: 'StateEvent',
      description: "A state event's detail, as the bus carries it and a webhook delivers it (docs/events.md).",
      anyOf: STATE_EVENT_TYPES.map((type) => {
        const { $schema: _schema, ...schema } = z.toJSONSchema(stateEventSchema(type), {
          target: 'draft-2020-12',
          io: 'output',
        }) as JSONSchema;
        return schema;
      }),
    } as JSONSchema,
    'StateEvent',
    OPTIONS,
  );

  const table = Object.fromEntries(
    producerOperations.map((operation) => [
      operation.id,
      {
        method: operation.method,
        path: operation.path,
        ...(operation.idempotent ? { idempotent: true } : {}),
        ...(operation.batch?.itemIdempotencyKey
          ? { batch: { field: operation.batch.field, itemIdempotencyKey: operation.batch.itemIdempotencyKey } }
          : {}),
      },
    ]),
  );
  return `/**
 * Generated by \`npm run client:generate\` (scripts/client-source.ts) from the API's operations table and OpenAPI
 * document: do not edit. The producer's operations, as data and as types.
 */

/** Each producer operation's method and path (under the stage, /v1), whether it takes an Idempotency-Key, and a batch's item key. */
export const OPERATIONS = ${JSON.stringify(table, null, 2)} as const;

${types}
${events}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(CLIENT_OPERATIONS_FILE, await clientOperationsText());
  console.log('wrote clients/typescript/src/operations.ts');
}
