/**
 * The stack deployed as a team deploys it, on a real CloudFormation engine: `cdk bootstrap`, then `cdk deploy`, on
 * LocalStack (scripts/emulator.sh's `cloud`; its global setup starts it). What was deployed is read back through the
 * AWS APIs and compared with the template and the settings, a keyless request is refused at the gateway, and
 * `cdk destroy` leaves nothing the template does not keep on purpose.
 *
 * Where LocalStack cannot go: function code (its Lambda runs code only in Docker; this one creates functions and
 * runs none, so a request that reaches a function gets 502: the runtime suites run the code), DAX and WAF (not in
 * LocalStack's community edition: the deploy uses `-c dax=false -c waf=false`), reserved concurrency, stage method
 * settings and access logs (accepted and ignored). docs/deploying.md says the same.
 *
 * Two stages (docs/stages.md) go side by side into the one account and region, deployed at once: the default stage,
 * which every check below reads, and a second one, which must be a stack of its own with names of its own and must
 * outlive the first's `cdk destroy` until its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APIGatewayClient,
  GetApiKeyCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetEventSourceMappingCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsApiKey, OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import { EVENT_PUBLISHER } from '../../lambdas/shared/platform/resources.js';
import { validatePlatformSettings } from '../../lib/settings.js';
import { DEFAULT_STAGE, resourceName, stackName } from '../../lib/stage.js';
import config from '../../platform.config.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const settings = validatePlatformSettings(structuredClone(config));
const STACK_NAME = stackName(DEFAULT_STAGE);
/** The stage deployed beside the default one; it has no settings file of its own, so platform.config.ts. */
const SECOND_STAGE = 'second';
/** How long one cdk command may take before the test gives up and says which one was still running. */
const COMMAND_BOUND_MS = 10 * 60_000;

const cloud = process.env.CLOUD_EMULATOR_URL ?? '';
const aws = { endpoint: cloud, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const cloudFormation = new CloudFormationClient(aws);
const apiGateway = new APIGatewayClient(aws);
const lambda = new LambdaClient(aws);
const sqs = new SQSClient(aws);
const dynamodb = new DynamoDBClient(aws);
const cloudWatch = new CloudWatchClient(aws);
const logs = new CloudWatchLogsClient(aws);
const secrets = new SecretsManagerClient(aws);
const sns = new SNSClient(aws);
const iam = new IAMClient(aws);
const kms = new KMSClient(aws);

/** A resource as the synthesized template has it (its properties are whatever CloudFormation takes). */
type TemplateResource = ReturnType<Template['findResources']>[string];

const assemblies = mkdtempSync(join(tmpdir(), 'cdk-deploy-'));
/** Each stage its own cloud assembly: two `cdk deploy` at once must not write into one. */
const outdirOf = (stage: string) => join(assemblies, stage);
const seconds: Record<string, number> = {};
let template: Record<string, TemplateResource>;
let templateOutputs: Record<string, unknown>;
let deployed: Map<string, StackResourceSummary>;
let secondTemplate: Record<string, TemplateResource>;
let secondDeployed: Map<string, StackResourceSummary>;

/** The environment of a team's shell pointed at the emulator: none of the caller's AWS settings leak in. */
function deployEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...env,
    AWS_ENDPOINT_URL: cloud,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/**
 * Runs `npx cdk <args>` as a person would, timed (under `label`); fails with its last output lines, or when it outlasts
 * the bound.
 */
async function cdk(label: string, ...args: string[]): Promise<string> {
  const started = performance.now();
  const child: ChildProcess = spawn('npx', ['cdk', ...args, '--no-notices'], {
    cwd: PROJECT_ROOT,
    env: deployEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const lastLines = () => output.trim().split('\n').slice(-40).join('\n');
  const bound = setTimeout(() => child.kill('SIGTERM'), COMMAND_BOUND_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(bound);
  const elapsed = (performance.now() - started) / 1000;
  if (code === null)
    throw new Error(`cdk ${args[0]} was still running after ${COMMAND_BOUND_MS / 60_000} minutes:\n${lastLines()}`);
  if (code !== 0) throw new Error(`cdk ${args[0]} failed (exit ${code}):\n${lastLines()}`);
  seconds[label] = elapsed;
  return output;
}

/** `npx cdk <command>` on one stage, into its own cloud assembly. */
function cdkOnStage(stage: string, command: string, ...args: string[]): Promise<string> {
  return cdk(`${command} ${stage}`, command, ...CONTEXT, '-c', `stage=${stage}`, '--output', outdirOf(stage), ...args);
}

async function stackResources(stack = STACK_NAME): Promise<Map<string, StackResourceSummary>> {
  const resources = new Map<string, StackResourceSummary>();
  for await (const page of paginateListStackResources({ client: cloudFormation }, { StackName: stack })) {
    for (const resource of page.StackResourceSummaries ?? []) resources.set(resource.LogicalResourceId ?? '', resource);
  }
  return resources;
}

function ofType(type: string): [string, TemplateResource][] {
  return Object.entries(template).filter(([, resource]) => resource.Type === type);
}

function physicalId(logicalId: string): string {
  const id = deployed.get(logicalId)?.PhysicalResourceId;
  if (!id) throw new Error(`${logicalId} has no physical id in the deployed stack`);
  return id;
}

/** The logical id a template value points at ({Ref: id} or {Fn::GetAtt: [id, attribute]}). */
function target(value: unknown): string {
  const reference = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = reference.Ref ?? reference['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a reference: ${JSON.stringify(value)}`);
  return id;
}

/** A mapping that reads a table's stream (the events' publisher), not a queue. */
function readsAStream(mapping: TemplateResource): boolean {
  return JSON.stringify(mapping.Properties?.EventSourceArn).includes('StreamArn');
}

async function queueArn(logicalId: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: physicalId(logicalId), AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

const restApiId = () => physicalId(ofType('AWS::ApiGateway::RestApi')[0]?.[0] ?? '');
const stageName = () => ofType('AWS::ApiGateway::Stage')[0]?.[1].Properties?.StageName as string;
const invokeUrl = (path: string) => `${cloud}/_aws/execute-api/${restApiId()}/${stageName()}${path}`;

/**
 * The producers' routes fenced to these addresses (api.allowedSources.cidrs, as a team sets it), the test's own among
 * them: a recipient's links and Twilio's webhooks stay reachable from anywhere.
 */
const ALLOWED_CIDRS = '203.0.113.0/24,127.0.0.1/32';
const CONTEXT = ['-c', 'dax=false', '-c', 'waf=false', '-c', `allowedCidrs=${ALLOWED_CIDRS}`];

beforeAll(async () => {
  await cdk('bootstrap', 'bootstrap');
  // Both stages at once: separate stacks and cloud assemblies, one bootstrap.
  await Promise.all(
    [DEFAULT_STAGE, SECOND_STAGE].map((stage) => cdkOnStage(stage, 'deploy', '--require-approval', 'never')),
  );
  ({ Resources: template, Outputs: templateOutputs } = JSON.parse(
    readFileSync(join(outdirOf(DEFAULT_STAGE), `${STACK_NAME}.template.json`), 'utf8'),
  ));
  ({ Resources: secondTemplate } = JSON.parse(
    readFileSync(join(outdirOf(SECOND_STAGE), `${stackName(SECOND_STAGE)}.template.json`), 'utf8'),
  ));
  deployed = await stackResources();
  secondDeployed = await stackResources(stackName(SECOND_STAGE));
}, 2 * COMMAND_BOUND_MS);

afterAll(() => rmSync(assemblies, { recursive: true, force: true }));

describe('cdk deploy on LocalStack', () => {
  it('creates every resource of the template', () => {
    const expected = Object.keys(template).filter((id) => template[id]?.Type !== 'AWS::CDK::Metadata');
    const incomplete = expected.filter((id) => deployed.get(id)?.ResourceStatus !== 'CREATE_COMPLETE');

    expect(incomplete).toEqual([]);
    const byType: Record<string, number> = {};
    for (const id of expected) byType[template[id]?.Type ?? ''] = (byType[template[id]?.Type ?? ''] ?? 0) + 1;
    console.log(
      `deployed ${expected.length} resources (bootstrap ${seconds.bootstrap?.toFixed(1)} s, deploy with synth ` +
        `${seconds[`deploy ${DEFAULT_STAGE}`]?.toFixed(1)} s, beside the stage ${SECOND_STAGE}'s, ` +
        `${seconds[`deploy ${SECOND_STAGE}`]?.toFixed(1)} s):\n${Object.entries(byType)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([type, count]) => `  ${type} x${count}`)
          .join('\n')}`,
    );
  });

  it('gives every output the deploying steps (docs/deploying.md) read (the API URL, the API key ids, the secrets to fill in)', async () => {
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK_NAME }));
    const outputs = Object.fromEntries(
      (Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );

    expect(Object.keys(outputs).sort()).toEqual(Object.keys(templateOutputs).sort());
    expect(outputs.ApiUrl).toMatch(new RegExp(`^https://${restApiId()}\\.execute-api\\.`));
    for (const [key, output] of Object.entries(templateOutputs)) {
      const value = (output as { Value: { Ref?: string } }).Value;
      if (value.Ref) expect(outputs[key], key).toBe(physicalId(value.Ref));
    }
    expect(outputs.TwilioCredentialsSecretArn).toMatch(/^arn:aws:secretsmanager:/);
  });

  it("gives each producer its API key and usage plan, with the settings' rate, burst and daily quota", async () => {
    const { items: plans = [] } = await apiGateway.send(new GetUsagePlansCommand({ limit: 500 }));

    for (const producer of settings.producers) {
      const name = resourceName(DEFAULT_STAGE, producer.name);
      const plan = plans.find((candidate) => candidate.name === name);
      expect(plan, `usage plan ${name}`).toBeDefined();
      expect(plan?.throttle).toMatchObject({ rateLimit: producer.rateLimit, burstLimit: producer.burstLimit });
      expect(plan?.quota).toMatchObject({ limit: producer.dailyQuota, period: 'DAY' });
      expect(plan?.apiStages).toEqual([expect.objectContaining({ apiId: restApiId(), stage: stageName() })]);

      const { items: keys = [] } = await apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan?.id }));
      expect(keys.map((key) => key.name)).toEqual([name]);
      const key = await apiGateway.send(new GetApiKeyCommand({ apiKey: keys[0]?.id }));
      expect(key.enabled).toBe(true);
    }
  });

  it('serves every operation at its path and method, with the API key required exactly where a producer calls', async () => {
    const { items: resources = [] } = await apiGateway.send(
      new GetResourcesCommand({ restApiId: restApiId(), limit: 500 }),
    );

    for (const operation of OPERATION_LIST) {
      const resource = resources.find((candidate) => candidate.path === operation.path);
      expect(resource, `${operation.method} ${operation.path}`).toBeDefined();
      const method = await apiGateway.send(
        new GetMethodCommand({ restApiId: restApiId(), resourceId: resource?.id, httpMethod: operation.method }),
      );
      expect(method.apiKeyRequired ?? false, `${operation.id} needs a key`).toBe(needsApiKey(operation));
    }
  });

  it("refuses a request without a key at the gateway (403), checks a producer's body there (400), and lets a webhook through to its function", async () => {
    const { items: plans = [] } = await apiGateway.send(new GetUsagePlansCommand({ limit: 500 }));
    // A plan of this stage's API: the other stage's keys open only its own.
    const plan = plans.find((candidate) => candidate.apiStages?.some((stage) => stage.apiId === restApiId()));
    const { items: planKeys = [] } = await apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan?.id }));
    const { value: apiKey = '' } = await apiGateway.send(
      new GetApiKeyCommand({ apiKey: planKeys[0]?.id, includeValue: true }),
    );
    const send = (path: string, headers: Record<string, string>, body: string) =>
      fetch(invokeUrl(path), { method: 'POST', headers, body, signal: AbortSignal.timeout(120_000) });
    const json = { 'content-type': 'application/json' };

    const keyless = await send('/notifications', json, JSON.stringify({ type: 'order_shipped', user_id: 'u1' }));
    expect(keyless.status).toBe(403);
    const malformed = await send('/notifications', { ...json, 'x-api-key': apiKey }, '{}');
    expect(malformed.status).toBe(400);
    const webhook = await send(
      '/webhooks/twilio/status',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'checked-by-the-function' },
      'MessageSid=SM1&MessageStatus=delivered',
    );
    // Past the gateway with no key, to the function that checks the signature; it cannot run here: 502, after
    // LocalStack's API Gateway has retried the invocation four times (about 10 s).
    expect(webhook.status, await webhook.text()).toBe(502);
  });

  it("fences the producers' routes to allowedSources with its resource policy, and exempts the keyless ones", async () => {
    const api = await apiGateway.send(new GetRestApiCommand({ restApiId: restApiId() }));
    // API Gateway answers the policy as JSON escaped into a string.
    const text = api.policy ?? '{}';
    const policy = JSON.parse(text.startsWith('{\\') ? JSON.parse(`"${text}"`) : text) as {
      Statement: { Effect: string; Resource: string | string[]; Condition?: unknown }[];
    };
    const deny = policy.Statement.find((statement) => statement.Effect === 'Deny');
    // As saved (execute-api:/...), or expanded to the API's ARN, as AWS does.
    const fenced = [deny?.Resource ?? []]
      .flat()
      .map((resource) => resource.replace(/^(arn:aws:execute-api:[^/]+|execute-api:)\//, ''));

    expect(deny?.Condition).toEqual({ NotIpAddress: { 'aws:SourceIp': ALLOWED_CIDRS.split(',') } });
    for (const operation of OPERATION_LIST) {
      const resource = `*/${operation.method}${operation.path.replace(/\{\w+\}/g, '*')}`;
      expect(fenced.includes(resource), `${operation.id} fenced`).toBe(needsApiKey(operation));
    }
  });

  it("feeds each queue to its function in batches, with partial failures and the template's concurrency cap", async () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, mapping]) => !readsAStream(mapping));
    expect(mappings.length).toBeGreaterThan(0);

    for (const [logicalId, { Properties: wanted = {} }] of mappings) {
      const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: physicalId(logicalId) }));
      expect(mapping.BatchSize, logicalId).toBe(wanted.BatchSize);
      expect(mapping.FunctionResponseTypes).toEqual(wanted.FunctionResponseTypes);
      expect(mapping.ScalingConfig?.MaximumConcurrency).toBe(wanted.ScalingConfig?.MaximumConcurrency);
      expect(mapping.EventSourceArn).toBe(await queueArn(target(wanted.EventSourceArn)));
      expect(mapping.FunctionArn?.endsWith(`:function:${physicalId(target(wanted.FunctionName))}`)).toBe(true);
    }
  });

  it("feeds the notifications table's stream to the events' publisher, from its start, filtered, retried", async () => {
    const streams = ofType('AWS::Lambda::EventSourceMapping').filter(([, mapping]) => readsAStream(mapping));
    expect(streams).toHaveLength(1);

    for (const [logicalId, { Properties: wanted = {} }] of streams) {
      const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: physicalId(logicalId) }));
      const { Table } = await dynamodb.send(
        new DescribeTableCommand({ TableName: physicalId(target(wanted.EventSourceArn)) }),
      );
      expect(mapping.EventSourceArn).toBe(Table?.LatestStreamArn);
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(mapping.StartingPosition).toBe('TRIM_HORIZON');
      expect(mapping.BatchSize).toBe(wanted.BatchSize);
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.MaximumRetryAttempts).toBe(-1);
      expect(mapping.FilterCriteria?.Filters?.map(({ Pattern }) => JSON.parse(Pattern ?? '{}'))).toEqual([
        EVENT_PUBLISHER.filter,
      ]);
      expect(mapping.FunctionArn?.endsWith(`:function:${physicalId(target(wanted.FunctionName))}`)).toBe(true);
    }
  });

  it('encrypts every queue, keeps messages as long as the template says, and redrives each to its DLQ', async () => {
    for (const [logicalId, { Properties: wanted = {} }] of ofType('AWS::SQS::Queue')) {
      const { Attributes: actual = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: physicalId(logicalId), AttributeNames: ['All'] }),
      );
      expect(actual.MessageRetentionPeriod, logicalId).toBe(String(wanted.MessageRetentionPeriod));
      expect(actual.SqsManagedSseEnabled).toBe('true');
      if (wanted.VisibilityTimeout !== undefined)
        expect(actual.VisibilityTimeout).toBe(String(wanted.VisibilityTimeout));
      if (wanted.RedrivePolicy) {
        expect(JSON.parse(actual.RedrivePolicy ?? '{}')).toEqual({
          maxReceiveCount: wanted.RedrivePolicy.maxReceiveCount,
          deadLetterTargetArn: await queueArn(target(wanted.RedrivePolicy.deadLetterTargetArn)),
        });
      }
    }
  });

  it("creates each table with the template's keys, indexes, billing and time to live", async () => {
    const tables = ofType('AWS::DynamoDB::GlobalTable');
    expect(tables.length).toBeGreaterThan(0);
    const keys = (schema: { AttributeName?: string; KeyType?: string }[] = []) =>
      schema.map(({ AttributeName, KeyType }) => ({ AttributeName, KeyType }));

    for (const [logicalId, { Properties: wanted = {} }] of tables) {
      const { Table: actual } = await dynamodb.send(new DescribeTableCommand({ TableName: physicalId(logicalId) }));
      expect(keys(actual?.KeySchema), logicalId).toEqual(keys(wanted.KeySchema));
      expect(actual?.BillingModeSummary?.BillingMode).toBe(wanted.BillingMode);
      type Index = {
        IndexName?: string;
        KeySchema?: { AttributeName?: string; KeyType?: string }[];
        Projection?: unknown;
      };
      const indexes = (list: Index[] = []) =>
        list
          .map((index) => ({ name: index.IndexName ?? '', keys: keys(index.KeySchema), projection: index.Projection }))
          .sort((a, b) => a.name.localeCompare(b.name));
      expect(indexes(actual?.GlobalSecondaryIndexes)).toEqual(indexes(wanted.GlobalSecondaryIndexes));
      if (wanted.TimeToLiveSpecification?.Enabled) {
        const { TimeToLiveDescription } = await dynamodb.send(
          new DescribeTimeToLiveCommand({ TableName: physicalId(logicalId) }),
        );
        expect(TimeToLiveDescription?.AttributeName).toBe(wanted.TimeToLiveSpecification.AttributeName);
      }
    }
  });

  it('creates every function with its runtime, handler, memory, timeout and environment', async () => {
    for (const [logicalId, { Properties: wanted = {} }] of ofType('AWS::Lambda::Function')) {
      const { Configuration: actual } = await lambda.send(
        new GetFunctionCommand({ FunctionName: physicalId(logicalId) }),
      );
      expect(actual?.State, logicalId).toBe('Active');
      expect(actual?.Runtime).toBe(wanted.Runtime);
      expect(actual?.Handler).toBe(wanted.Handler);
      expect(actual?.Timeout).toBe(wanted.Timeout ?? 3);
      expect(actual?.MemorySize).toBe(wanted.MemorySize ?? 128);
      expect(Object.keys(actual?.Environment?.Variables ?? {}).sort()).toEqual(
        Object.keys(wanted.Environment?.Variables ?? {}).sort(),
      );
    }
  });

  it("raises each alarm on the template's metric and threshold", async () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    const { MetricAlarms: actual = [] } = await cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNames: alarms.map(([id]) => physicalId(id)) }),
    );

    expect(actual).toHaveLength(alarms.length);
    for (const [logicalId, { Properties: wanted = {} }] of alarms) {
      const alarm = actual.find((candidate) => candidate.AlarmName === physicalId(logicalId));
      expect(alarm, logicalId).toMatchObject({
        Threshold: wanted.Threshold,
        ComparisonOperator: wanted.ComparisonOperator,
        EvaluationPeriods: wanted.EvaluationPeriods,
        ...(wanted.MetricName ? { MetricName: wanted.MetricName, Namespace: wanted.Namespace } : {}),
      });
    }
  });

  it('generates the secrets a team does not write by hand, and encrypts the feedback topics with their keys', async () => {
    for (const [logicalId, { Properties: wanted = {} }] of ofType('AWS::SecretsManager::Secret')) {
      const generated = wanted.GenerateSecretString?.GenerateStringKey;
      if (!generated) {
        await secrets.send(new DescribeSecretCommand({ SecretId: physicalId(logicalId) }));
        continue;
      }
      const { SecretString = '{}' } = await secrets.send(
        new GetSecretValueCommand({ SecretId: physicalId(logicalId) }),
      );
      expect(JSON.parse(SecretString)[generated], logicalId).toMatch(/^.{32,}$/);
    }
    for (const [logicalId, { Properties: wanted = {} }] of ofType('AWS::SNS::Topic')) {
      const { Attributes = {} } = await sns.send(new GetTopicAttributesCommand({ TopicArn: physicalId(logicalId) }));
      if (wanted.KmsMasterKeyId) expect(Attributes.KmsMasterKeyId, logicalId).toBeTruthy();
    }
  });

  it('cdk destroy removes the stack and every resource the template does not keep on purpose', async () => {
    await cdkOnStage(DEFAULT_STAGE, 'destroy', '--force');

    await expect(cloudFormation.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).rejects.toThrow(
      /does not exist/,
    );
    const kept = Object.entries(template).filter(([, resource]) => resource.DeletionPolicy === 'Retain');
    // API Gateway's CloudWatch role is set for the whole account and region; CDK keeps it for other APIs.
    expect(kept.map(([, resource]) => resource.Type).sort()).toEqual(['AWS::ApiGateway::Account', 'AWS::IAM::Role']);
    const left: string[] = [];
    for (const [logicalId, resource] of Object.entries(template)) {
      if (resource.DeletionPolicy === 'Retain' || !deployed.has(logicalId)) continue;
      if (await stillThere(resource.Type, physicalId(logicalId))) left.push(`${resource.Type} ${logicalId}`);
    }
    expect(left).toEqual([]);
    console.log(
      `destroyed in ${seconds[`destroy ${DEFAULT_STAGE}`]?.toFixed(1)} s; kept on purpose: ${kept.map(([id]) => id).join(', ')}`,
    );
  });
});

describe(`a second stage (${SECOND_STAGE}) beside it in the same account and region`, () => {
  /** The physical ids of a stage's resources of these types. */
  const physicalIds = (resources: Map<string, StackResourceSummary>, types: string[]) =>
    [...resources.values()]
      .filter((resource) => types.includes(resource.ResourceType ?? ''))
      .map((resource) => resource.PhysicalResourceId ?? '');
  const NAMED_TYPES = [
    'AWS::DynamoDB::GlobalTable',
    'AWS::SQS::Queue',
    'AWS::Lambda::Function',
    'AWS::ApiGateway::RestApi',
  ];

  it('is a stack of its own, with every resource of its template and tables, queues, functions and an API of its own', async () => {
    const { Stacks = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: stackName(SECOND_STAGE) }),
    );
    const expected = Object.keys(secondTemplate).filter((id) => secondTemplate[id]?.Type !== 'AWS::CDK::Metadata');
    const first = physicalIds(deployed, NAMED_TYPES);
    const second = physicalIds(secondDeployed, NAMED_TYPES);

    expect(Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    expect(expected.filter((id) => secondDeployed.get(id)?.ResourceStatus !== 'CREATE_COMPLETE')).toEqual([]);
    expect(second).toHaveLength(first.length);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    for (const queueUrl of physicalIds(secondDeployed, ['AWS::SQS::Queue'])) {
      const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }));
      expect(Tags.stage, queueUrl).toBe(SECOND_STAGE);
    }
  });

  it("outlives the first stage's cdk destroy", async () => {
    // The first stage's destroy is the last check above: files run their tests in order.
    await expect(cloudFormation.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).rejects.toThrow(
      /does not exist/,
    );
    const { Stacks = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: stackName(SECOND_STAGE) }),
    );

    expect(Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    for (const [logicalId, resource] of Object.entries(secondTemplate)) {
      if (!NAMED_TYPES.includes(resource.Type)) continue;
      const id = secondDeployed.get(logicalId)?.PhysicalResourceId ?? '';
      expect(await stillThere(resource.Type, id), `${resource.Type} ${logicalId}`).toBe(true);
    }
  });

  it('cdk destroy of it removes its stack and resources in turn', async () => {
    await cdkOnStage(SECOND_STAGE, 'destroy', '--force');

    await expect(
      cloudFormation.send(new DescribeStacksCommand({ StackName: stackName(SECOND_STAGE) })),
    ).rejects.toThrow(/does not exist/);
    const left: string[] = [];
    for (const [logicalId, resource] of Object.entries(secondTemplate)) {
      const id = secondDeployed.get(logicalId)?.PhysicalResourceId;
      if (resource.DeletionPolicy === 'Retain' || !id) continue;
      if (await stillThere(resource.Type, id)) left.push(`${resource.Type} ${logicalId}`);
    }
    expect(left).toEqual([]);
    console.log(`destroyed the stage ${SECOND_STAGE} in ${seconds[`destroy ${SECOND_STAGE}`]?.toFixed(1)} s`);
  });
});

/** Whether a destroyed resource can still be found; types with no check here are covered by the stack's deletion. */
async function stillThere(type: string, id: string): Promise<boolean> {
  const found = (request: Promise<unknown>) =>
    request.then(
      () => true,
      (error: Error) => {
        if (
          /not ?found|does not exist|non-?existent|cannot be found|invalid.*(api|id)/i.test(
            `${error.name} ${error.message}`,
          )
        )
          return false;
        throw error;
      },
    );
  switch (type) {
    case 'AWS::DynamoDB::GlobalTable':
      return found(dynamodb.send(new DescribeTableCommand({ TableName: id })));
    case 'AWS::SQS::Queue':
      return found(sqs.send(new GetQueueAttributesCommand({ QueueUrl: id })));
    case 'AWS::Lambda::Function':
      return found(lambda.send(new GetFunctionCommand({ FunctionName: id })));
    case 'AWS::Lambda::EventSourceMapping':
      return found(lambda.send(new GetEventSourceMappingCommand({ UUID: id })));
    case 'AWS::ApiGateway::RestApi':
      return found(apiGateway.send(new GetRestApiCommand({ restApiId: id })));
    case 'AWS::ApiGateway::ApiKey':
      return found(apiGateway.send(new GetApiKeyCommand({ apiKey: id })));
    case 'AWS::ApiGateway::UsagePlan':
      return found(apiGateway.send(new GetUsagePlanCommand({ usagePlanId: id })));
    case 'AWS::CloudWatch::Alarm':
      return ((await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [id] }))).MetricAlarms ?? []).length > 0;
    case 'AWS::Logs::LogGroup':
      return ((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: id }))).logGroups ?? []).some(
        (group) => group.logGroupName === id,
      );
    case 'AWS::SecretsManager::Secret':
      return found(secrets.send(new DescribeSecretCommand({ SecretId: id })).then(throwIfDeleted));
    case 'AWS::SNS::Topic':
      return found(sns.send(new GetTopicAttributesCommand({ TopicArn: id })));
    case 'AWS::IAM::Role':
      return found(iam.send(new GetRoleCommand({ RoleName: id })));
    case 'AWS::KMS::Key': {
      // A key is never deleted at once: it waits out its pending window, unusable.
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      return KeyMetadata?.KeyState !== 'PendingDeletion';
    }
    default:
      return false;
  }
}

/** A secret scheduled for deletion counts as gone, as AWS's console shows it. */
function throwIfDeleted(secret: { DeletedDate?: Date }): void {
  if (secret.DeletedDate) throw Object.assign(new Error('secret not found: deleted'), { name: 'NotFound' });
}
