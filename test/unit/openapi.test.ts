import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/shared/platform/openapi.js';
import { API_TAGS } from '../../lambdas/shared/platform/openapi-tags.js';
import { API_FUNCTIONS, needsApiKey, OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import { HANDLER_MODULES } from '../../lambdas/shared/platform/resources.js';
import packageJson from '../../package.json' with { type: 'json' };
import { CLIENT_OPERATIONS_FILE, clientOperationsText } from '../../scripts/client-source.js';
import { OPENAPI_FILE, openApiText } from '../../scripts/openapi.js';

describe('the OpenAPI description', () => {
  it('is committed as generated: run `npm run openapi` after changing an operation or a schema', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
  });

  it("is the typed client's too, committed as generated: `npm run openapi` writes both", async () => {
    expect(readFileSync(CLIENT_OPERATIONS_FILE, 'utf8')).toBe(await clientOperationsText());
  });

  it('describes every operation of the table, once, under its method and path', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { operationId: string }>>;
    const described = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => `${operation.operationId} ${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(OPERATION_LIST.map((op) => `${op.id} ${op.method} ${op.path}`).sort());
  });

  it('sends the key as x-api-key on every operation and documents Idempotency-Key where it is taken', () => {
    const document = openApiDocument();
    expect(document.components.securitySchemes.apiKey).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    const send = (document.paths['/notifications'] as Record<string, { parameters?: { name: string }[] }>).post;
    expect(send?.parameters?.map((parameter) => parameter.name)).toContain('Idempotency-Key');
  });

  it('documents query parameters as the table names them, none required that has a default, and a 400 for them', () => {
    const list = (openApiDocument().paths as Record<string, Record<string, Record<string, unknown>>>)['/templates']
      ?.get;

    expect(list?.parameters).toEqual([
      expect.objectContaining({ name: 'cursor', in: 'query', required: false }),
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100 }),
      }),
    ]);
    expect(list?.responses).toHaveProperty('400');
  });

  it('has a handler for every function an operation names', () => {
    for (const name of API_FUNCTIONS)
      expect(existsSync(new URL(`../../lambdas/${HANDLER_MODULES.api(name)}`, import.meta.url)), name).toBe(true);
    expect(new Set(OPERATION_LIST.map((operation) => operation.function))).toEqual(new Set(API_FUNCTIONS));
  });

  it('tags each operation once, with the tag the table names, under a described tag', () => {
    const document = openApiDocument();
    const paths = document.paths as Record<string, Record<string, { operationId: string; tags: string[] }>>;
    const tagged = Object.values(paths).flatMap((methods) =>
      Object.values(methods).map((operation) => `${operation.operationId} ${operation.tags.join(',')}`),
    );

    expect(tagged.sort()).toEqual(OPERATION_LIST.map((operation) => `${operation.id} ${operation.tag}`).sort());
    expect(document.tags.map((tag) => tag.name)).toEqual(Object.keys(API_TAGS));
    for (const tag of document.tags) expect(tag.description, tag.name).not.toBe('');
    expect(new Set(OPERATION_LIST.map((operation) => operation.tag)), 'a tag no operation has').toEqual(
      new Set(Object.keys(API_TAGS)),
    );
  });

  it("groups a producer's tags apart from those of what Twilio and recipients call, each tag in one group", () => {
    const groups = openApiDocument()['x-tagGroups'];

    expect(groups.map((group) => group.name)).toEqual(['Producer API', 'Called by providers and recipients']);
    expect(groups.flatMap((group) => group.tags).sort()).toEqual(Object.keys(API_TAGS).sort());
    expect(groups[1]?.tags).toEqual(['webhooks', 'recipient-links']);
  });

  it("names a tag's callers as the table's operations do: a key for a producer's, none for the others", () => {
    for (const operation of OPERATION_LIST) {
      const { audience } = API_TAGS[operation.tag];
      const expected = { producer: true, tooling: true, provider: false, recipient: false }[audience];
      expect(needsApiKey(operation), `${operation.id} is tagged ${operation.tag} (${audience})`).toBe(expected);
      if (audience === 'provider') expect(operation.caller, operation.id).toBe('twilio');
      if (audience === 'recipient') expect(operation.caller, operation.id).toBe('recipient');
    }
  });

  it('writes each JSON error once, under components.responses, and refers to it', () => {
    const document = openApiDocument();
    const text = JSON.stringify(document.paths);

    expect(text).not.toContain('#/components/schemas/Error"');
    expect(text).toContain('"$ref":"#/components/responses/ServerError"');
    expect(Object.keys(document.components.responses)).toEqual(
      expect.arrayContaining(['BadRequest', 'Forbidden', 'NotFound', 'TooManyRequests', 'ServerError']),
    );
    expect(document.components.schemas).toHaveProperty('Error');
    expect(document.components.schemas).toHaveProperty('GatewayMessage');
  });

  it("has the package's version and license, the local server first, and a deployed one", () => {
    const { info, servers } = openApiDocument();

    expect(info.version).toBe(packageJson.version);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(info.license).toEqual({ name: 'Apache-2.0', identifier: 'Apache-2.0' });
    expect(servers[0]?.url).toBe('http://127.0.0.1:3000/v1');
    expect(servers[1]?.url).toMatch(/^https:\/\/\{apiId\}\.execute-api\.\{region\}\.amazonaws\.com\/v1$/);
  });
});
