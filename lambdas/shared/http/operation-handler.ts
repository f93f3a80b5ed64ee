import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Producer } from '../domain/producer.js';
import { logger } from '../observability.js';
import { maxBodyBytesOf, OPERATION_LIST, type OPERATIONS, type OperationId } from '../platform/operations.js';
import type * as z from '../schemas/zod.js';
import { ApiError } from './api-error.js';
import { apiHandler } from './api-handler.js';
import { producerOf, requireScope } from './producer.js';
import { parseJsonBody, parsePathParameters, parseQueryParameters } from './request.js';

type OperationOf<Id extends OperationId> = (typeof OPERATIONS)[Id];

/** What an operation's implementation is given: its caller, authorized, and its parameters and body, validated. */
export interface OperationRequest<Id extends OperationId> {
  readonly producer: Producer;
  readonly path: z.infer<OperationOf<Id>['pathParameters']>;
  readonly query: OperationOf<Id> extends { queryParameters: infer Query extends z.ZodMiniType }
    ? z.infer<Query>
    : undefined;
  /** A batch's envelope, its items unchecked (the implementation checks each); any other body whole. */
  readonly body: OperationOf<Id> extends { batch: { envelope: infer Envelope extends z.ZodMiniType } }
    ? z.infer<Envelope>
    : OperationOf<Id> extends { body: infer Body extends z.ZodMiniType }
      ? z.infer<Body>
      : undefined;
  readonly event: APIGatewayProxyEvent;
}

export type OperationImplementations<Ids extends OperationId> = {
  readonly [Id in Ids]: (request: OperationRequest<Id>) => Promise<APIGatewayProxyResult>;
};

/**
 * A function's handler for the operations it owns (lambdas/shared/platform/operations.ts): the request's method and
 * resource select the operation, whose scope is required and whose path parameters, query parameters and body are
 * validated, in that order, before its implementation runs (a batch's envelope only: its items are the
 * implementation's to check, one by one). A refusal names the field; nothing runs on a bad request.
 */
export function operationsHandler<Ids extends OperationId>(implementations: OperationImplementations<Ids>) {
  const owned = OPERATION_LIST.filter((operation) => operation.id in implementations);
  return apiHandler(async (event) => {
    // API Gateway's resource is the path under the stage; a test may name the stage too.
    const resource = event.resource.replace(/^\/v1(?=\/)/, '');
    const operation = owned.find((candidate) => candidate.method === event.httpMethod && candidate.path === resource);
    if (!operation) throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not supported here`);
    const producer = operation.scope ? requireScope(event, operation.scope) : producerOf(event);
    const path = parsePathParameters(event, operation.pathParameters);
    // No path carries personal data (an address goes in a body): every parameter may be logged.
    logger.appendKeys({ producer: producer.name, ...(path as Record<string, unknown>) });
    const query = operation.queryParameters ? parseQueryParameters(event, operation.queryParameters) : undefined;
    const body = operation.body
      ? parseJsonBody(event, operation.batch?.envelope ?? operation.body, maxBodyBytesOf(operation))
      : undefined;
    const implementation = implementations[operation.id as Ids] as (
      request: OperationRequest<OperationId>,
    ) => Promise<APIGatewayProxyResult>;
    return implementation({ producer, path, query, body, event } as OperationRequest<OperationId>);
  });
}
