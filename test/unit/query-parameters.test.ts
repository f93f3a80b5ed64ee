import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lambdas/shared/http/api-error.js';
import { parseQueryParameters } from '../../lambdas/shared/http/request.js';
import { OPERATIONS } from '../../lambdas/shared/platform/operations.js';
import { pageCursor } from '../../lambdas/shared/schemas/paging.js';

const query = OPERATIONS.listTemplates.queryParameters;

function eventWith(parameters: Record<string, string> | null): APIGatewayProxyEvent {
  return { queryStringParameters: parameters } as never;
}

function refusal(parameters: Record<string, string>): ApiError {
  try {
    parseQueryParameters(eventWith(parameters), query);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the query to be refused');
}

describe('the query parameters of GET /templates', () => {
  it('takes none: the first page, of 50', () => {
    // API Gateway hands over null for a request with no query string.
    expect(parseQueryParameters(eventWith(null), query)).toEqual({ limit: 50 });
    expect(parseQueryParameters(eventWith({}), query)).toEqual({ limit: 50 });
  });

  it('reads a limit and a cursor it answered, back into the key the page ended at', () => {
    const cursor = pageCursor({ type: 'order_shipped' });

    const parsed = parseQueryParameters(eventWith({ limit: '100', cursor }), query);

    expect(parsed).toEqual({ limit: 100, cursor: { type: 'order_shipped' } });
  });

  it('ignores parameters it does not name, as API Gateway passes whatever a caller adds', () => {
    expect(parseQueryParameters(eventWith({ limit: '1', utm_source: 'x', cursor_: 'y' }), query)).toEqual({
      limit: 1,
    });
  });

  it.each(['0', '101', '-1', '1.5', '1e1', ' 5', '5 ', '0x10', '', 'ten', '9999999999'])(
    'refuses the limit %j with 400 naming limit',
    (limit) => {
      const error = refusal({ limit });

      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('invalid_request');
      expect(error.details).toEqual([{ field: 'limit', message: 'must be a whole number from 1 to 100' }]);
      expect(error.message).toBe('limit: must be a whole number from 1 to 100');
    },
  );

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{type:').toString('base64url')],
    ['JSON, but no key', Buffer.from('[]').toString('base64url')],
    ['a key of another table', pageCursor({ notification_id: 'x' })],
    ['a key with more than the type', Buffer.from('{"type":"a","pk":"b"}').toString('base64url')],
    ['a type that is none', pageCursor({ type: 'Order Shipped' })],
    ['too long', 'A'.repeat(257)],
    ['empty', ''],
  ])('refuses a cursor that is %s with 400 naming cursor', (_, cursor) => {
    const error = refusal({ cursor, limit: '3' });

    expect(error.statusCode).toBe(400);
    expect(error.details?.map((detail) => detail.field)).toEqual(['cursor']);
  });

  it('names both when both are bad', () => {
    expect(
      refusal({ cursor: '!', limit: '0' })
        .details?.map((detail) => detail.field)
        .sort(),
    ).toEqual(['cursor', 'limit']);
  });
});
