import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isTransientAwsError } from '../aws/transient-error.js';
import { logger, tracer } from '../observability.js';
import { ApiError } from './api-error.js';
import { json } from './responses.js';

export type ApiRoute = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Wraps an API Gateway handler with the platform's logging and tracing (never the response: it holds addresses,
 * numbers and payload values, and traces are kept and shown elsewhere), and turns every error into
 * a JSON answer: an ApiError as it says, a throttled or unavailable dependency as 503 with Retry-After,
 * anything else as 500 (logged with its stack, never shown to the caller). A function that emits metrics
 * adds Powertools' logMetrics itself: one that has none to publish would warn on every request.
 */
export function apiHandler(route: ApiRoute) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(route)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(errorsAsJson());
}

function errorsAsJson(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      request.response = errorResponse(request.error);
    },
  };
}

export function errorResponse(error: unknown): APIGatewayProxyResult {
  const refusal = asApiError(error);
  return json(
    refusal.statusCode,
    {
      error: { code: refusal.code, message: refusal.message, ...(refusal.details ? { details: refusal.details } : {}) },
    },
    refusal.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(refusal.retryAfterSeconds) },
  );
}

/**
 * What the caller is told of an error (logged here): an ApiError as it is, a throttled or unavailable dependency as
 * 503, anything else as 500. A batch tells each of its items the same (lambdas/ingest/batch-intake.ts).
 */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    if (error.statusCode >= 500) logger.warn('request refused', { code: error.code });
    return error;
  }
  if (isTransientAwsError(error)) {
    logger.warn('a dependency is throttled or unavailable', { error: errorSummary(error) });
    return new ApiError(
      503,
      'service_unavailable',
      'a dependency is busy; retry after the given seconds',
      undefined,
      1,
    );
  }
  logger.error('request failed', error as Error);
  return new ApiError(500, 'internal_error', 'the request failed; it has been logged');
}

function errorSummary(error: unknown): { name?: string; message?: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : {};
}
