import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKey,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MAX_BODY_BYTES } from '../lambdas/shared/http/request.js';
import type { PlatformSettings, ProducerSettings } from './config/platform-settings.js';

/** The functions behind the API, one per concern. */
export interface ApiFunctions {
  readonly ingest: IFunction;
  readonly notificationStatus: IFunction;
  readonly preferences: IFunction;
  readonly contacts: IFunction;
  readonly devices: IFunction;
  readonly templates: IFunction;
}

export interface NotificationApiProps {
  readonly environment: string;
  readonly producers: readonly ProducerSettings[];
  readonly stageThrottle: PlatformSettings['api'];
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
  private readonly validator: RequestValidator;

  constructor(scope: Construct, id: string, props: NotificationApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: `notification-platform-${props.environment}`,
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
    // Bodies are validated by the handlers (zod, with the field named); API Gateway checks path parameters.
    this.validator = new RequestValidator(this, 'PathParameters', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    this.keys = this.addProducers(props);
    if (props.firewall ?? true) this.protectWithWaf(props.maxBodyBytes ?? MAX_BODY_BYTES);
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-APIG2',
        reason:
          "Path parameters are validated here; bodies by the handlers, with zod, answering which field is wrong in the platform's error format",
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

  /** Adds the routes of DESIGN.md's API table, each to the function that owns it. */
  route(functions: ApiFunctions): void {
    const method = (resource: IResource, verb: string, fn: IFunction, parameters: string[] = []) =>
      resource.addMethod(verb, new LambdaIntegration(fn), {
        requestValidator: this.validator,
        requestParameters: Object.fromEntries(parameters.map((name) => [`method.request.path.${name}`, true])),
      });
    const root = this.api.root;
    const notifications = root.addResource('notifications');
    method(notifications, 'POST', functions.ingest);
    method(notifications.addResource('{notification_id}'), 'GET', functions.notificationStatus, ['notification_id']);
    const preferences = root.addResource('preferences').addResource('{user_id}');
    method(preferences, 'GET', functions.preferences, ['user_id']);
    method(preferences, 'PUT', functions.preferences, ['user_id']);
    const user = root.addResource('users').addResource('{user_id}');
    method(user.addResource('contacts'), 'PUT', functions.contacts, ['user_id']);
    const devices = user.addResource('devices');
    method(devices, 'POST', functions.devices, ['user_id']);
    method(devices, 'GET', functions.devices, ['user_id']);
    method(devices.addResource('{device_id}'), 'DELETE', functions.devices, ['user_id', 'device_id']);
    const template = root.addResource('templates').addResource('{type}');
    method(template, 'PUT', functions.templates, ['type']);
    method(template, 'GET', functions.templates, ['type']);
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

  private protectWithWaf(maxBodyBytes: number): void {
    const acl = new CfnWebACL(this, 'Firewall', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      // WAF inspects 16 KB of an API Gateway body unless told more; a payload may take 16 KiB on its own.
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'notification-api',
        sampledRequestsEnabled: false,
      },
      customResponseBodies: {
        tooLarge: {
          contentType: 'APPLICATION_JSON',
          content: '{"error":{"code":"payload_too_large","message":"the body is too large"}}',
        },
      },
      rules: [
        {
          name: 'body-size-limit',
          priority: 0,
          action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: 'tooLarge' } } },
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: maxBodyBytes,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'body-size-limit',
            sampledRequestsEnabled: false,
          },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'FirewallAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
  }

  /** The JSON the functions read in PRODUCERS: each producer's key id, name and scopes. */
  producersVariable(producers: readonly ProducerSettings[]): string {
    return Stack.of(this).toJsonString(
      producers.map((producer) => ({
        key_id: this.keys.get(producer.name)?.keyId,
        name: producer.name,
        scopes: producer.scopes,
      })),
    );
  }

  /** Answers 5xx: a fault of ours or of a dependency. */
  metricServerErrors() {
    return this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
  }
}
