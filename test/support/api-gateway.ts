/**
 * Drives the real handlers the way API Gateway's REST proxy integration does: an event with the method,
 * path, headers, body and the caller's API key id, and a Lambda context.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { SCOPES, type Scope } from '../../lambdas/shared/domain/producer.js';
import { OPERATIONS, type OperationId } from '../../lambdas/shared/platform/operations.js';
import { lambdaContext, proxyEvent } from '../../local/api-gateway-emulation.js';

export { lambdaContext };

/** API key ids of the test producers, as API Gateway would put them in requestContext.identity. */
export const TEST_KEYS = {
  orderService: 'test-key-order-service',
  authService: 'test-key-auth-service',
  billingService: 'test-key-billing-service',
  marketing: 'test-key-marketing',
  newsletter: 'test-key-newsletter',
  admin: 'test-key-admin',
  reporting: 'test-key-reporting',
  unowned: 'test-key-nobody',
} as const;

/** The scopes that fence what a producer may do to a person (subscribing them to a topic included). */
export const PEOPLE_SCOPES = [
  'users:read',
  'preferences:write',
  'contacts:write',
  'users:erase',
  'topics:write',
] as const;

/** The key id of the test producer that has this one scope and no other. */
export function onlyScopeKey(scope: Scope): string {
  return `test-key-only-${scope}`;
}

/**
 * The test's producers: some that send their own types, two that write templates of the same types (and own topics),
 * an admin.
 */
export const TEST_PRODUCERS = [
  {
    key_id: TEST_KEYS.orderService,
    name: 'order-service',
    scopes: ['notifications:send'],
    types: ['order_*', 'order.*'],
  },
  { key_id: TEST_KEYS.authService, name: 'auth-service', scopes: ['notifications:send'], types: ['password_reset'] },
  { key_id: TEST_KEYS.billingService, name: 'billing-service', scopes: ['notifications:send'], types: ['billing.*'] },
  // Both manage topics of their own too, and list their subscribers.
  {
    key_id: TEST_KEYS.marketing,
    name: 'marketing-tool',
    scopes: ['notifications:send', 'templates:write', 'topics:write', 'users:read'],
    types: ['marketing.*'],
  },
  {
    key_id: TEST_KEYS.newsletter,
    name: 'newsletter',
    scopes: ['templates:write', 'topics:write', 'users:read'],
    types: ['marketing.*'],
  },
  { key_id: TEST_KEYS.admin, name: 'admin-console', scopes: [...SCOPES], types: ['*'] },
  // Each capability over people on its own: a producer with one of them may do that and nothing else to a person.
  ...PEOPLE_SCOPES.map((scope) => ({
    key_id: onlyScopeKey(scope),
    name: `only-${scope.replace(':', '-')}`,
    scopes: [scope],
    types: ['only.*'],
  })),
  { key_id: TEST_KEYS.reporting, name: 'reporting', scopes: [], types: ['reporting.*'] },
];

export interface ApiRequest {
  /** The operation of the API (lambdas/shared/platform/operations.ts): its method and resource. */
  readonly operation: OperationId;
  readonly pathParameters?: Record<string, string>;
  /** The query string's parameters, as API Gateway hands them over. */
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly apiKeyId?: string;
}

export function apiEvent(request: ApiRequest): APIGatewayProxyEvent {
  const { method, path: resource } = OPERATIONS[request.operation];
  const path = resource.replace(/\{(\w+)\}/g, (_, name: string) => request.pathParameters?.[name] ?? '');
  const body =
    request.body === undefined ? null : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  return proxyEvent({
    method,
    resource,
    path,
    pathParameters: request.pathParameters ?? null,
    ...(request.query ? { query: request.query } : {}),
    headers: { ...(body === null ? {} : { 'Content-Type': 'application/json' }), ...request.headers },
    body,
    apiKeyId: request.apiKeyId ?? TEST_KEYS.admin,
  });
}

export interface ApiAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the handler answered
  readonly json: any;
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export async function invoke(handler: Handler, request: ApiRequest): Promise<ApiAnswer> {
  const result = await handler(apiEvent(request), lambdaContext('test'));
  return {
    statusCode: result.statusCode,
    headers: result.headers ?? {},
    json: result.body ? JSON.parse(result.body) : undefined,
  };
}
