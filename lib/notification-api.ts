import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKey,
  DomainName,
  EndpointType,
  type JsonSchema,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  Period,
  RequestValidator,
  ResponseType,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { InterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import { PolicyDocument } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import { MAX_BODY_BYTES } from '../lambdas/shared/http/request.js';
import {
  type ApiFunction,
  maxBodyBytesOf,
  needsApiKey,
  OPERATION_LIST,
  pathParameterNames,
  queryParameterList,
} from '../lambdas/shared/platform/operations.js';
import * as z from '../lambdas/shared/schemas/zod.js';
import { ApiFirewall } from './api-firewall.js';
import { keylessRoutesApart, producerApiPolicy } from './api-resource-policy.js';
import type { PlatformSettings, ProducerSettings } from './settings.js';
import { resourceName } from './stage.js';

/** The API Gateway stage every API serves (not the deployment stage, lib/stage.ts): paths start /v1, a domain's too. */
const API_STAGE = 'v1';
const KEYLESS_OPERATIONS = OPERATION_LIST.filter((operation) => !needsApiKey(operation));

export interface NotificationApiProps {
  /** The deployment stage (lib/stage.ts): the names of the APIs, keys, usage plans and sampling rules carry it. */
  readonly stage: string;
  readonly producers: readonly ProducerSettings[];
  readonly stageThrottle: Pick<PlatformSettings['api'], 'rateLimit' | 'burstLimit'>;
  /**
   * Where producers may call from, enforced by the API's resource policy (403 at the edge for anything else), on the
   * producers' routes only (lib/api-resource-policy.ts). VPC endpoints make the producers' API private (reachable only
   * through them), and the keyless routes then live on a regional API of their own.
   * @default any source (a key is still required)
   */
  readonly allowedSources?: PlatformSettings['api']['allowedSources'];
  /** WAF's rate-based rule: requests one source IP may make in five minutes before it gets 429. */
  readonly requestsPerSourceIpPer5Minutes: number;
  /** The keyless routes' own limits: each method's throttle, and WAF's rate per source IP on them. */
  readonly keyless: PlatformSettings['api']['keyless'];
  /**
   * A domain of the installation's for the API that recipients and Twilio call, with a regional ACM certificate.
   * @default the API's execute-api address
   */
  readonly domainName?: PlatformSettings['api']['domainName'];
  /**
   * Largest request body accepted, in bytes; larger ones are refused at the edge by AWS WAF.
   * @default MAX_BODY_BYTES, 64 KiB (the handlers refuse larger bodies too)
   */
  readonly maxBodyBytes?: number;
  /**
   * Put AWS WAF in front of the stage. Off only where WAF does not exist (a LocalStack community container);
   * the handlers still refuse bodies over 64 KiB.
   * @default true
   */
  readonly firewall?: boolean;
}

/** An API's validators: one for a JSON body and its path parameters, one for path parameters alone. */
interface Validators {
  readonly body: RequestValidator;
  /**
   * For the others (no body, or a form). AWS skips body validation when no model matches the content type; LocalStack
   * instead checks the body as JSON, and would refuse every Twilio webhook with 400.
   */
  readonly parameters: RequestValidator;
}

/**
 * The platform's REST API (REST, because usage plans need it): every producer's method needs an API key, each producer
 * has its own key and usage plan (rate, burst, daily quota), access logs are JSON, and AWS WAF refuses oversized
 * bodies and floods before they cost an invocation. The keyless routes (a recipient's links, Twilio's webhooks) have
 * throttles and a per-address limit of their own, are never fenced by `allowedSources`, and their tokens are kept out
 * of sampled traces. Key values are never in the template: API Gateway generates them, and the outputs say how to read
 * one.
 */
export class NotificationApi extends Construct {
  /** The producers' API (a private API, with VPC endpoints). */
  public readonly api: RestApi;
  /** The API of the keyless routes: the same one, or, when the producers' API is private, a regional one of its own. */
  public readonly publicApi: RestApi;
  /** Where recipients' links and Twilio's callbacks point, stage included: the custom domain's, or publicApi's. */
  public readonly publicUrl: string;
  /** Each producer's API key, by producer name. */
  public readonly keys: ReadonlyMap<string, ApiKey>;
  /** The custom domain, when there is one. */
  public readonly domain?: DomainName;
  private readonly validators = new Map<RestApi, Validators>();

  constructor(scope: Construct, id: string, props: NotificationApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const apart = keylessRoutesApart(props.allowedSources);
    this.api = this.restApi('Api', resourceName(props.stage), accessLogs, props, {
      keylessRoutes: !apart,
      description: 'Producers send notifications and manage people, devices and templates',
      ...sourceRestriction(this, props.allowedSources),
    });
    this.publicApi = apart
      ? this.restApi('PublicApi', resourceName(props.stage, 'public'), accessLogs, props, {
          keylessRoutes: true,
          description: "A recipient's links and Twilio's webhooks, reachable from the internet",
          endpointConfiguration: { types: [EndpointType.REGIONAL] },
        })
      : this.api;
    this.keys = this.addProducers(props);
    if (props.firewall ?? true)
      new ApiFirewall(this, 'Firewall', {
        stages: this.apis.map((api) => api.deploymentStage),
        maxBodyBytes: props.maxBodyBytes ?? MAX_BODY_BYTES,
        largerBodies: OPERATION_LIST.filter((operation) => operation.maxBodyBytes !== undefined).map((operation) => {
          if (pathParameterNames(operation.path).length > 0)
            throw new Error(
              `${operation.id}: a body limit of its own needs a path without parameters (WAF matches it)`,
            );
          return { path: `/${API_STAGE}${operation.path}`, maxBodyBytes: maxBodyBytesOf(operation) };
        }),
        requestsPerSourceIpPer5Minutes: props.requestsPerSourceIpPer5Minutes,
        keyless: props.keyless,
        keylessPathPrefixes: [
          ...new Set(KEYLESS_OPERATIONS.map((operation) => `/${API_STAGE}${operation.path.replace(/\{\w+\}.*$/, '')}`)),
        ],
      });
    this.keepTokensOutOfTraces(props.stage);
    if (props.domainName) {
      this.domain = new DomainName(this, 'Domain', {
        domainName: props.domainName.name,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domainName.certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      this.domain.addBasePathMapping(this.publicApi, { basePath: API_STAGE, stage: this.publicApi.deploymentStage });
    }
    // Made from the id rather than from the deployment, which depends on the functions that need the URL.
    const stack = Stack.of(this);
    this.publicUrl = props.domainName
      ? `https://${props.domainName.name}/${API_STAGE}`
      : `https://${this.publicApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${API_STAGE}`;
  }

  /** One REST API of the platform, with its stage, validators and error format; the keyless routes' throttles on it. */
  private restApi(
    id: string,
    restApiName: string,
    accessLogs: LogGroup,
    props: NotificationApiProps,
    options: { keylessRoutes: boolean; description: string } & Pick<
      ConstructorParameters<typeof RestApi>[2] & object,
      'policy' | 'endpointConfiguration'
    >,
  ): RestApi {
    const { keylessRoutes, ...restOptions } = options;
    const api = new RestApi(this, id, {
      restApiName,
      ...restOptions,
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: props.stageThrottle.rateLimit,
        throttlingBurstLimit: props.stageThrottle.burstLimit,
        // Each keyless method a throttle of its own, below the producers': garbage posted at a link or a webhook uses
        // up that method's capacity, never a producer's.
        methodOptions: keylessRoutes
          ? Object.fromEntries(
              KEYLESS_OPERATIONS.map((operation) => [
                `${operation.path}/${operation.method}`,
                {
                  throttlingRateLimit: props.keyless.rateLimit,
                  throttlingBurstLimit: props.keyless.burstLimit,
                  // A method's setting replaces the stage's whole: it keeps its metrics and error logs.
                  metricsEnabled: true,
                  loggingLevel: MethodLoggingLevel.ERROR,
                  dataTraceEnabled: false,
                },
              ]),
            )
          : undefined,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
      defaultMethodOptions: { apiKeyRequired: true },
    });
    this.validators.set(api, {
      body: new RequestValidator(api, 'Requests', {
        restApi: api,
        validateRequestParameters: true,
        validateRequestBody: true,
      }),
      parameters: new RequestValidator(api, 'Parameters', {
        restApi: api,
        validateRequestParameters: true,
        validateRequestBody: false,
      }),
    });
    // A body API Gateway refuses is answered in the platform's error format, naming what is wrong.
    api.addGatewayResponse('InvalidBody', {
      type: ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: {
        'application/json':
          '{"error":{"code":"invalid_request","message":"$util.escapeJavaScript($context.error.validationErrorString)"}}',
      },
    });
    Validations.of(api).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-APIG2',
        reason:
          'Path parameters and bodies are validated here, bodies against the models generated from the same schemas the handlers check',
      },
      {
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          'Callers are internal services, each authenticated by its own API key and limited by its usage plan; the handler checks its scopes. Keyless routes check a signature or a signed token',
      },
      {
        id: 'AwsSolutions::AwsSolutions-COG4',
        reason: 'No end users call this API: producers are services with API keys, not Cognito users',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's account-level role for execution logs; AWS provides exactly this policy for it",
      },
    );
    return api;
  }

  /** The APIs, each once: one, or the producers' and the public one. */
  private get apis(): RestApi[] {
    return this.publicApi === this.api ? [this.api] : [this.api, this.publicApi];
  }

  /**
   * Adds every operation of the API (lambdas/shared/platform/operations.ts), each to the function that owns it. Path
   * parameters are required, query parameters declared, and bodies checked against the operation's schema before any
   * function runs, so a malformed body costs no invocation; the function then checks all of it, refinements included.
   */
  route(functions: Readonly<Record<ApiFunction, IFunction>>): void {
    const integrations = new Map<ApiFunction, LambdaIntegration>();
    for (const operation of OPERATION_LIST) {
      const api = needsApiKey(operation) ? this.api : this.publicApi;
      const validators = this.validators.get(api) as Validators;
      const resource = api.root.resourceForPath(operation.path);
      const fn = functions[operation.function];
      if (!integrations.has(operation.function)) integrations.set(operation.function, new LambdaIntegration(fn));
      resource.addMethod(operation.method, integrations.get(operation.function), {
        operationName: operation.id,
        // A provider's webhook or a recipient's link carries no API key: its handler checks a signature instead.
        apiKeyRequired: needsApiKey(operation),
        requestParameters: Object.fromEntries([
          ...pathParameterNames(operation.path).map((name) => [`method.request.path.${name}`, true]),
          // The function checks each query parameter's value and default; API Gateway only its presence, when required.
          ...queryParameterList(operation).map(({ name, required }) => [
            `method.request.querystring.${name}`,
            required,
          ]),
        ]),
        ...((operation.body && !operation.formBody
          ? {
              requestValidator: validators.body,
              requestModels: {
                'application/json': api.addModel(`${operation.id}Body`, {
                  contentType: 'application/json',
                  modelName: `${operation.id}Body`,
                  schema: gatewayModelSchema(operation.body),
                }),
              },
            }
          : { requestValidator: validators.parameters }) satisfies MethodOptions),
      });
    }
  }

  private addProducers(props: NotificationApiProps): Map<string, ApiKey> {
    const keys = new Map<string, ApiKey>();
    for (const producer of props.producers) {
      // A key standing alone (not tied to the stage): the functions read its id, and the stage depends on
      // the functions, so a key tied to the stage would make a cycle.
      const key = new ApiKey(this, `${producer.name}Key`, {
        apiKeyName: resourceName(props.stage, producer.name),
        description: `API key of ${producer.name}`,
      });
      const plan = this.api.addUsagePlan(`${producer.name}Plan`, {
        name: resourceName(props.stage, producer.name),
        throttle: { rateLimit: producer.rateLimit, burstLimit: producer.burstLimit },
        quota: { limit: producer.dailyQuota, period: Period.DAY },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      plan.addApiKey(key);
      keys.set(producer.name, key);
      new CfnOutput(this, `${producer.name}ApiKeyId`, {
        description: `Read the key of ${producer.name} with: aws apigateway get-api-key --include-value --query value --output text --api-key <this id>`,
        value: key.keyId,
      });
    }
    return keys;
  }

  /**
   * API Gateway's trace of a request records its URL, and a recipient's link carries its token in the path: X-Ray
   * samples none of those requests (a rule of rate 0 for each such path, which API Gateway honours). The functions'
   * own segments record no URL.
   */
  private keepTokensOutOfTraces(stage: string): void {
    const tokenPaths = KEYLESS_OPERATIONS.filter((operation) => operation.path.includes('{token}')).map(
      (operation) => `*${operation.path.replace(/\{\w+\}/g, '*')}`,
    );
    [...new Set(tokenPaths)].forEach((urlPath, index) => {
      new CfnSamplingRule(this, `NoTokenTraces${index}`, {
        samplingRule: {
          ruleName: `notify-${stage}-t${index}`,
          priority: 1,
          fixedRate: 0,
          reservoirSize: 0,
          serviceName: `${this.publicApi.restApiName}/${API_STAGE}`,
          serviceType: 'AWS::ApiGateway::Stage',
          host: '*',
          httpMethod: '*',
          urlPath,
          resourceArn: '*',
          version: 1,
        },
      });
    });
  }

  /** The JSON the functions read in PRODUCERS: each producer's key id, name, scopes and types. */
  producersVariable(producers: readonly ProducerSettings[]): string {
    return Stack.of(this).toJsonString(
      producers.map((producer) => ({
        key_id: this.keys.get(producer.name)?.keyId,
        name: producer.name,
        scopes: producer.scopes,
        types: producer.types,
      })),
    );
  }

  /** Answers 5xx: a fault of ours or of a dependency, on any of the APIs. */
  metricServerErrors() {
    return this.apis.map((api) => api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }));
  }
}

/**
 * The producers' API's endpoint type and resource policy for `allowedSources` (lib/api-resource-policy.ts). Without VPC
 * endpoints the API is regional: producers are services in the region, and an edge-optimized API would show WAF
 * CloudFront's addresses instead of theirs, which a rate per source IP cannot work with.
 */
function sourceRestriction(
  scope: Construct,
  sources: PlatformSettings['api']['allowedSources'],
): Pick<ConstructorParameters<typeof RestApi>[2] & object, 'policy' | 'endpointConfiguration'> {
  const document = producerApiPolicy(sources);
  const policy = document ? { policy: PolicyDocument.fromJson(document) } : {};
  if (!sources?.vpcEndpoints) return { ...policy, endpointConfiguration: { types: [EndpointType.REGIONAL] } };
  return {
    ...policy,
    endpointConfiguration: {
      types: [EndpointType.PRIVATE],
      vpcEndpoints: sources.vpcEndpoints.map((vpcEndpointId) =>
        InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(scope, `Endpoint-${vpcEndpointId}`, {
          vpcEndpointId,
          port: 443,
        }),
      ),
    },
  };
}

/**
 * An operation's body as an API Gateway model (JSON Schema draft 4), from its schema: a JSON object with its required
 * fields and no others. That is what API Gateway can refuse while still naming the field: its validator's message
 * names a missing or unknown property, but not the path of a value of the wrong type, enum or length. Everything else
 * is left to the handler, which names the field (and reads regular expressions as JavaScript does, not as Java).
 */
function gatewayModelSchema(schema: z.ZodMiniType): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: 'draft-04', io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
    additionalProperties?: unknown;
  };
  return {
    schema: JsonSchemaVersion.DRAFT4,
    type: JsonSchemaType.OBJECT,
    ...(converted.required ? { required: converted.required } : {}),
    properties: Object.fromEntries(Object.keys(converted.properties ?? {}).map((name) => [name, {}])),
    ...(converted.additionalProperties === false ? { additionalProperties: false } : {}),
  };
}
