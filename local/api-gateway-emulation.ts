/**
 * API Gateway's REST proxy integration, on loopback: API keys, per-producer throttling and quotas, the
 * routes of the API, and the event each handler receives. What API Gateway answers itself, this answers the
 * same way: 403 {"message":"Forbidden"} without a valid key, 429 {"message":"Too Many Requests"} over a limit.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { BODY_TOO_LARGE_ANSWER, MAX_BODY_BYTES } from '../lambdas/shared/http/request.js';
import {
  type ApiFunction,
  maxBodyBytesOf,
  needsApiKey,
  OPERATION_LIST,
  pathParameterNames,
} from '../lambdas/shared/platform/operations.js';
import type { ResourcePolicyDocument } from '../lib/api-resource-policy.js';
import type { ProducerSettings } from '../lib/settings.js';
import { policyAllows } from './resource-policy.js';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LocalProducer {
  readonly keyId: string;
  readonly keyValue: string;
  readonly settings: ProducerSettings;
}

interface Route {
  readonly method: string;
  readonly resource: string;
  readonly pattern: RegExp;
  readonly parameters: readonly string[];
  readonly handler: ApiFunction;
  /** A provider's webhook: no API key, no usage plan (its handler checks the provider's signature). */
  readonly keyless: boolean;
  /** Its operation's largest body: larger is 413, as AWS WAF answers it. */
  readonly maxBodyBytes: number;
}

/** The API's operations (lambdas/shared/platform/operations.ts), as patterns to match a request's path against. */
export const ROUTES: readonly Route[] = OPERATION_LIST.map((operation) => ({
  method: operation.method,
  resource: operation.path,
  pattern: new RegExp(`^/v1${operation.path.replace(/\{\w+\}/g, '([^/]+)')}/?$`),
  parameters: pathParameterNames(operation.path),
  handler: operation.function,
  keyless: !needsApiKey(operation),
  maxBodyBytes: maxBodyBytesOf(operation),
}));

/** The largest body a request may have: its route's, or the default for a path that is no route. */
export function maxBodyBytesFor(method: string | undefined, url: string | undefined): number {
  const { pathname } = new URL(url ?? '/', 'http://localhost');
  return (
    ROUTES.find((route) => route.method === method && route.pattern.test(pathname))?.maxBodyBytes ?? MAX_BODY_BYTES
  );
}

/** A token bucket per producer (rate and burst) and a count per day (quota), as a usage plan keeps them. */
class UsagePlan {
  private tokens: number;
  private refilledAt = Date.now();
  private day = new Date().toISOString().slice(0, 10);
  private used = 0;

  constructor(private readonly limits: Pick<ProducerSettings, 'rateLimit' | 'burstLimit' | 'dailyQuota'>) {
    this.tokens = limits.burstLimit;
  }

  admit(): boolean {
    const now = Date.now();
    this.tokens = Math.min(
      this.limits.burstLimit,
      this.tokens + ((now - this.refilledAt) / 1000) * this.limits.rateLimit,
    );
    this.refilledAt = now;
    const today = new Date(now).toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.used = 0;
    }
    if (this.tokens < 1 || this.used >= this.limits.dailyQuota) return false;
    this.tokens -= 1;
    this.used += 1;
    return true;
  }
}

/** An HTTP request as it reached the gateway. */
export interface GatewayRequest {
  readonly method: string;
  /** Path and query, e.g. "/v1/notifications". */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly remoteAddress?: string;
}

export interface GatewayAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The function that answered, when one did. */
  readonly handler?: string;
}

/** What the stack puts before the functions besides keys and usage plans (lib/notification-api.ts). */
export interface GatewayRules {
  /** The resource policy of `api.allowedSources` (lib/api-resource-policy.ts), if any. */
  readonly producerPolicy?: ResourcePolicyDocument;
  /** The keyless routes are on a public API of their own (a private producers' API), which the policy does not cover. */
  readonly keylessApart?: boolean;
  /** Each keyless route's own throttle (`api.keyless`). */
  readonly keylessThrottle?: Pick<ProducerSettings, 'rateLimit' | 'burstLimit'>;
}

export class ApiGatewayEmulation {
  private readonly producersByKey = new Map<string, { producer: LocalProducer; plan: UsagePlan }>();
  /** Each keyless route's throttle, by method and resource. */
  private readonly keylessThrottles = new Map<string, UsagePlan>();

  constructor(
    producers: readonly LocalProducer[],
    private readonly handlers: Readonly<Record<ApiFunction, ApiHandler>>,
    private readonly rules: GatewayRules = {},
  ) {
    for (const producer of producers) {
      this.producersByKey.set(producer.keyValue, { producer, plan: new UsagePlan(producer.settings) });
    }
    const throttle = rules.keylessThrottle;
    if (throttle)
      for (const route of ROUTES.filter((candidate) => candidate.keyless))
        this.keylessThrottles.set(
          `${route.method} ${route.resource}`,
          new UsagePlan({ ...throttle, dailyQuota: Number.POSITIVE_INFINITY }),
        );
  }

  async answer(request: GatewayRequest): Promise<GatewayAnswer> {
    const { body } = request;
    const url = new URL(request.url, 'http://localhost');
    const route = ROUTES.find(
      (candidate) => candidate.method === request.method && candidate.pattern.test(url.pathname),
    );
    // The resource policy comes first, as at API Gateway: a source it does not allow learns nothing else.
    const policy = route?.keyless && this.rules.keylessApart ? undefined : this.rules.producerPolicy;
    const path = url.pathname.replace(/^\/v1/, '');
    if (policy && !policyAllows(policy, { method: request.method, path, sourceIp: request.remoteAddress ?? '' }))
      return policyRefusal(request.method, path);
    const key = headerValue(request, 'x-api-key');
    const caller = key ? this.producersByKey.get(key) : undefined;
    // API Gateway checks the key before it looks at anything else, and says no more than this.
    if (!caller && !route?.keyless) return gatewayMessage(403, 'Forbidden');
    if (!route) return gatewayMessage(404, 'Not Found');
    if (caller && !route.keyless && !caller.plan.admit()) return gatewayMessage(429, 'Too Many Requests');
    if (route.keyless && this.keylessThrottles.get(`${route.method} ${route.resource}`)?.admit() === false)
      return gatewayMessage(429, 'Too Many Requests');
    if (body.length > route.maxBodyBytes) {
      return {
        statusCode: 413,
        headers: { 'Content-Type': 'application/json' },
        body: BODY_TOO_LARGE_ANSWER,
      };
    }
    const handler = this.handlers[route.handler];

    const match = route.pattern.exec(url.pathname) ?? [];
    const pathParameters = Object.fromEntries(
      route.parameters.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]),
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const event = proxyEvent({
      method: route.method,
      resource: route.resource,
      path: url.pathname.replace(/^\/v1/, ''),
      pathParameters: route.parameters.length > 0 ? pathParameters : null,
      query: Object.fromEntries(url.searchParams.entries()),
      headers,
      body: body.length > 0 ? body.toString('utf8') : null,
      apiKeyId: caller?.producer.keyId ?? '',
      sourceIp: request.remoteAddress,
    });
    const result = await handler(event, lambdaContext(route.handler));
    return {
      statusCode: result.statusCode,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)])),
      body: result.body,
      handler: route.handler,
    };
  }
}

/** What API Gateway answers a request its resource policy denies. */
function policyRefusal(method: string, path: string): GatewayAnswer {
  return {
    statusCode: 403,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:local/v1/${method}${path} with an explicit deny`,
    }),
  };
}

function gatewayMessage(statusCode: number, message: string): GatewayAnswer {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message }) };
}

function headerValue(request: GatewayRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface ProxyEventInput {
  readonly method: string;
  readonly resource: string;
  readonly path: string;
  readonly pathParameters: Record<string, string> | null;
  readonly query?: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly apiKeyId: string;
  readonly sourceIp?: string;
}

/** The event API Gateway's REST proxy integration hands a function. */
export function proxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const query = input.query ?? {};
  return {
    httpMethod: input.method,
    resource: input.resource,
    path: input.path,
    pathParameters: input.pathParameters,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    headers: input.headers,
    multiValueHeaders: Object.fromEntries(Object.entries(input.headers).map(([name, value]) => [name, [value]])),
    body: input.body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      path: `/v1${input.path}`,
      stage: 'v1',
      requestId: crypto.randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: input.resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: input.apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: input.headers['user-agent'] ?? null,
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
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
