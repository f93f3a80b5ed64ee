import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKey,
  EndpointType,
  type JsonSchema,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RequestValidator,
  ResponseType,
  RestApi,
  type RestApiProps,
} from 'aws-cdk-lib/aws-apigateway';
import { InterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { BODY_TOO_LARGE_ANSWER, MAX_BODY_BYTES } from '../lambdas/shared/http/request.js';
import {
  type ApiFunction,
  needsApiKey,
  OPERATION_LIST,
  pathParameterNames,
} from '../lambdas/shared/platform/operations.js';
import * as z from '../lambdas/shared/schemas/zod.js';
import type { PlatformSettings, ProducerSettings } from './settings.js';

export interface NotificationApiProps {
  readonly environment: string;
  readonly producers: readonly ProducerSettings[];
  readonly stageThrottle: Pick<PlatformSettings['api'], 'rateLimit' | 'burstLimit'>;
  /**
   * Where requests may come from, enforced by the API's resource policy (403 at the edge for anything else).
   * VPC endpoints make the API private (reachable only through them); CIDRs are then the callers' addresses
   * inside the VPC, else their public addresses.
   * @default any source (a key is still required)
   */
  readonly allowedSources?: PlatformSettings['api']['allowedSources'];
  /** WAF's rate-based rule: requests one source IP may make in five minutes before it gets 429. */
  readonly requestsPerSourceIpPer5Minutes: number;
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

/**
 * The producers' REST API (REST, because usage plans need it): every method needs an API key, each producer
 * has its own key and usage plan (rate, burst, daily quota), access logs are JSON, and AWS WAF refuses
 * oversized bodies before they cost an invocation. Key values are never in the template: API Gateway
 * generates them, and the outputs say how to read one.
 */
export class NotificationApi extends Construct {
  public readonly api: RestApi;
  /** Each producer's API key, by producer name. */
  public readonly keys: ReadonlyMap<string, ApiKey>;
  /** For an operation with a JSON body: its model and its path parameters. */
  private readonly bodyValidator: RequestValidator;
  /**
   * For the others (no body, or a form): path parameters only. AWS skips body validation when no model matches the
   * content type; LocalStack instead checks the body as JSON, and would refuse every Twilio webhook with 400.
   */
  private readonly parameterValidator: RequestValidator;

  constructor(scope: Construct, id: string, props: NotificationApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: `notification-platform-${props.environment}`,
      ...sourceRestriction(this, props.allowedSources),
      description: 'Producers send notifications and manage preferences, contacts, devices and templates',
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.stageThrottle.rateLimit,
        throttlingBurstLimit: props.stageThrottle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
      defaultMethodOptions: { apiKeyRequired: true },
    });
    this.bodyValidator = new RequestValidator(this, 'Requests', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.parameterValidator = new RequestValidator(this, 'Parameters', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    // A body API Gateway refuses is answered in the platform's error format, naming what is wrong.
    this.api.addGatewayResponse('InvalidBody', {
      type: ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: {
        'application/json':
          '{"error":{"code":"invalid_request","message":"$util.escapeJavaScript($context.error.validationErrorString)"}}',
      },
    });
    this.keys = this.addProducers(props);
    if (props.firewall ?? true)
      this.protectWithWaf(props.maxBodyBytes ?? MAX_BODY_BYTES, props.requestsPerSourceIpPer5Minutes);
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-APIG2',
        reason:
          'Path parameters and bodies are validated here, bodies against the models generated from the same schemas the handlers check',
      },
      {
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          'Callers are internal services, each authenticated by its own API key and limited by its usage plan; the handler checks its scopes',
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
  }

  /**
   * Adds every operation of the API (lambdas/shared/platform/operations.ts), each to the function that owns it. Path
   * parameters are required and bodies checked against the operation's schema before any function runs, so a
   * malformed body costs no invocation; the function then checks all of it, refinements included.
   */
  route(functions: Readonly<Record<ApiFunction, IFunction>>): void {
    const integrations = new Map<ApiFunction, LambdaIntegration>();
    for (const operation of OPERATION_LIST) {
      const resource = this.api.root.resourceForPath(operation.path);
      const fn = functions[operation.function];
      if (!integrations.has(operation.function)) integrations.set(operation.function, new LambdaIntegration(fn));
      resource.addMethod(operation.method, integrations.get(operation.function), {
        operationName: operation.id,
        // A provider's webhook or a recipient's link carries no API key: its handler checks a signature instead.
        apiKeyRequired: needsApiKey(operation),
        requestParameters: Object.fromEntries(
          pathParameterNames(operation.path).map((name) => [`method.request.path.${name}`, true]),
        ),
        ...(operation.body && !operation.formBody
          ? {
              requestValidator: this.bodyValidator,
              requestModels: {
                'application/json': this.api.addModel(`${operation.id}Body`, {
                  contentType: 'application/json',
                  modelName: `${operation.id}Body`,
                  schema: gatewayModelSchema(operation.body),
                }),
              },
            }
          : { requestValidator: this.parameterValidator }),
      });
    }
  }

  private addProducers(props: NotificationApiProps): Map<string, ApiKey> {
    const keys = new Map<string, ApiKey>();
    for (const producer of props.producers) {
      // A key standing alone (not tied to the stage): the functions read its id, and the stage depends on
      // the functions, so a key tied to the stage would make a cycle.
      const key = new ApiKey(this, `${producer.name}Key`, {
        apiKeyName: `notification-platform-${props.environment}-${producer.name}`,
        description: `API key of ${producer.name}`,
      });
      const plan = this.api.addUsagePlan(`${producer.name}Plan`, {
        name: `notification-platform-${props.environment}-${producer.name}`,
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
   * AWS WAF before the stage, three rules in order: a source IP over its rate gets 429; a body over the limit gets
   * 413 before it costs an invocation; AWS's common rule set refuses known attack patterns (bad bots, SSRF to the
   * instance metadata address, path traversal), with two of its rules counting instead of blocking, for this API's
   * own reasons below.
   */
  private protectWithWaf(maxBodyBytes: number, requestsPerSourceIpPer5Minutes: number): void {
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: false,
    });
    const acl = new CfnWebACL(this, 'Firewall', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      // WAF inspects 16 KB of an API Gateway body unless told more; a payload may take 16 KiB on its own.
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
      visibilityConfig: visibility('notification-api'),
      customResponseBodies: {
        tooLarge: {
          contentType: 'APPLICATION_JSON',
          content: BODY_TOO_LARGE_ANSWER,
        },
        tooMany: {
          contentType: 'APPLICATION_JSON',
          content: '{"error":{"code":"rate_limited","message":"too many requests from this address; retry later"}}',
        },
      },
      rules: [
        {
          name: 'rate-per-source-ip',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'tooMany',
                responseHeaders: [{ name: 'Retry-After', value: '60' }],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              limit: requestsPerSourceIpPer5Minutes,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility('rate-per-source-ip'),
        },
        {
          name: 'body-size-limit',
          priority: 1,
          action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: 'tooLarge' } } },
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: maxBodyBytes,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('body-size-limit'),
        },
        {
          name: 'aws-common-rule-set',
          priority: 2,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              ruleActionOverrides: [
                // Its limit is 8 KB; a payload may take 16 KiB and a template more. The rule above bounds bodies.
                { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
                // Template bodies are HTML by design; payload values are escaped whenever they are put into HTML.
                { name: 'CrossSiteScripting_BODY', actionToUse: { count: {} } },
              ],
            },
          },
          visibilityConfig: visibility('aws-common-rule-set'),
        },
        {
          // Requests known to exploit software (Log4j's JNDI lookups among them), refused before any function runs.
          name: 'aws-known-bad-inputs',
          priority: 3,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
          visibilityConfig: visibility('aws-known-bad-inputs'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'FirewallAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
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

  /** Answers 5xx: a fault of ours or of a dependency. */
  metricServerErrors() {
    return this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
  }
}

/**
 * The API's endpoint type and resource policy for `allowedSources`. API keys identify producers; they are not an
 * access control (AWS says as much of usage plans), so where producers call from is checked too. Without VPC
 * endpoints the API is regional: producers are services in the region, and an edge-optimized API would show WAF
 * CloudFront's addresses instead of theirs, which a rate per source IP cannot work with.
 */
function sourceRestriction(
  scope: Construct,
  sources: PlatformSettings['api']['allowedSources'],
): Pick<RestApiProps, 'policy' | 'endpointConfiguration'> {
  const regional = { endpointConfiguration: { types: [EndpointType.REGIONAL] } };
  if (!sources) return regional;
  const invoke = { actions: ['execute-api:Invoke'], principals: [new AnyPrincipal()], resources: ['execute-api:/*'] };
  const statements = [new PolicyStatement({ ...invoke, effect: Effect.ALLOW })];
  const deny = (conditions: Record<string, Record<string, string[]>>) =>
    statements.push(new PolicyStatement({ ...invoke, effect: Effect.DENY, conditions }));
  const { cidrs, vpcEndpoints } = sources;
  if (vpcEndpoints) {
    // aws:SourceVpce exists only on a private API's requests: on a regional one this would deny everything.
    deny({ StringNotEquals: { 'aws:SourceVpce': vpcEndpoints } });
    // Through an endpoint, the caller's own address inside the VPC is aws:VpcSourceIp.
    if (cidrs) deny({ NotIpAddress: { 'aws:VpcSourceIp': cidrs } });
    return {
      policy: new PolicyDocument({ statements }),
      endpointConfiguration: {
        types: [EndpointType.PRIVATE],
        vpcEndpoints: vpcEndpoints.map((vpcEndpointId) =>
          InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(scope, `Endpoint-${vpcEndpointId}`, {
            vpcEndpointId,
            port: 443,
          }),
        ),
      },
    };
  }
  deny({ NotIpAddress: { 'aws:SourceIp': cidrs ?? [] } });
  return { ...regional, policy: new PolicyDocument({ statements }) };
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
