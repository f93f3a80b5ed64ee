/**
 * Drives the real handlers the way API Gateway's REST proxy integration does: an event with the method,
 * path, headers, body and the caller's API key id, and a Lambda context.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** API key ids of the test producers, as API Gateway would put them in requestContext.identity. */
export const TEST_KEYS = {
  orderService: 'test-key-order-service',
  admin: 'test-key-admin',
  reporting: 'test-key-reporting',
  unowned: 'test-key-nobody',
} as const;

export const TEST_PRODUCERS = [
  { key_id: TEST_KEYS.orderService, name: 'order-service', scopes: ['notifications:send'] },
  {
    key_id: TEST_KEYS.admin,
    name: 'admin-console',
    scopes: ['notifications:send', 'preferences:write', 'templates:write'],
  },
  { key_id: TEST_KEYS.reporting, name: 'reporting', scopes: [] },
];

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The resource template, e.g. "/v1/preferences/{user_id}". */
  readonly resource: string;
  readonly pathParameters?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly apiKeyId?: string;
}

export function apiEvent(request: ApiRequest): APIGatewayProxyEvent {
  const path = request.resource.replace(/\{(\w+)\}/g, (_, name: string) => request.pathParameters?.[name] ?? '');
  const body =
    request.body === undefined ? null : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const headers = { ...(body === null ? {} : { 'Content-Type': 'application/json' }), ...request.headers };
  return {
    httpMethod: request.method,
    resource: request.resource,
    path,
    pathParameters: request.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      path: `/v1${path}`,
      stage: 'v1',
      requestId: crypto.randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: request.resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: request.apiKeyId ?? TEST_KEYS.admin,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'integration-test',
        userArn: null,
      },
    },
  };
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
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
