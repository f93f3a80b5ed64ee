import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/shared/platform/openapi.js';
import { API_FUNCTIONS, OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import { HANDLER_MODULES } from '../../lambdas/shared/platform/resources.js';
import { OPENAPI_FILE, openApiText } from '../../scripts/openapi.js';

describe('the OpenAPI description', () => {
  it('is committed as generated: run `npm run openapi` after changing an operation or a schema', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
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

  it('has a handler for every function an operation names', () => {
    for (const name of API_FUNCTIONS)
      expect(existsSync(new URL(`../../lambdas/${HANDLER_MODULES.api(name)}`, import.meta.url)), name).toBe(true);
    expect(new Set(OPERATION_LIST.map((operation) => operation.function))).toEqual(new Set(API_FUNCTIONS));
  });
});
