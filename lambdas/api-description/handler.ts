import { operationsHandler } from '../shared/http/operation-handler.js';
import { json } from '../shared/http/responses.js';
import { openApiDocument } from '../shared/platform/openapi.js';

// Built once per instance: the same operations table every other function routes by.
const document = openApiDocument();

/** The API's OpenAPI 3.1 description, for producers' tools and clients. */
export const handler = operationsHandler({
  getApiDescription: async () => json(200, document),
});
