/**
 * Stages (docs/stages.md): `-c stage=<name>` picks the settings file, names the stack, tags every resource, and makes
 * every name that must be unique in an account and region the stage's own, so that two stages deploy side by side.
 * The app is run as `cdk synth` runs it (bin/app.ts, cdk.json's context), without bundling the functions.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_STAGE,
  InvalidStage,
  loadStageConfig,
  stackName,
  stageConfigFile,
  stageFromContext,
} from '../../lib/stage.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROJECT_CONTEXT = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
const OTHER_STAGE = 'qa';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

const assemblies = mkdtempSync(join(tmpdir(), 'cdk-stages-'));
const templates: Record<string, Template> = {};

/** The template bin/app.ts makes for a stage, as `npx cdk synth -c stage=<stage>` would, less the bundles. */
async function synthesizeApp(stage: string): Promise<Template> {
  const outdir = join(assemblies, stage);
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...PROJECT_CONTEXT, stage, 'aws:cdk:bundling-stacks': [] }),
    },
  });
  return JSON.parse(readFileSync(join(outdir, `${stackName(stage)}.template.json`), 'utf8'));
}

beforeAll(async () => {
  const [first, second] = await Promise.all([synthesizeApp(DEFAULT_STAGE), synthesizeApp(OTHER_STAGE)]);
  templates[DEFAULT_STAGE] = first;
  templates[OTHER_STAGE] = second;
});
afterAll(() => rmSync(assemblies, { recursive: true, force: true }));

describe('the settings file of a stage', () => {
  const folder = mkdtempSync(join(tmpdir(), 'stage-configs-'));
  writeFileSync(join(folder, 'platform.config.ts'), "export default { shared: 'platform.config.ts' };\n");
  writeFileSync(join(folder, 'platform.config.qa.ts'), "export default { own: 'platform.config.qa.ts' };\n");
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('is platform.config.<stage>.ts when the stage has one', async () => {
    const file = stageConfigFile('qa', folder);

    expect(file).toBe(join(folder, 'platform.config.qa.ts'));
    expect(await loadStageConfig(file)).toEqual({ own: 'platform.config.qa.ts' });
  });

  it('is platform.config.ts for a stage without one, and for the default stage as shipped', async () => {
    const file = stageConfigFile('prod', folder);

    expect(file).toBe(join(folder, 'platform.config.ts'));
    expect(await loadStageConfig(file)).toEqual({ shared: 'platform.config.ts' });
    expect(stageConfigFile(DEFAULT_STAGE)).toBe(join(PROJECT_ROOT, 'platform.config.ts'));
  });
});

describe('-c stage=<name>', () => {
  it('defaults to the dev stage, and refuses a name that could not name resources', () => {
    expect(stageFromContext(undefined)).toBe('dev');
    expect(stageFromContext('alice-2')).toBe('alice-2');
    for (const bad of ['Prod', '1st', 'a_b', '', 'a'.repeat(22)])
      expect(() => stageFromContext(bad), bad).toThrow(InvalidStage);
  });

  it('names the stack NotificationPlatform-<stage>: the default stage keeps the name it always had', () => {
    expect(stackName(DEFAULT_STAGE)).toBe('NotificationPlatform-dev');
    // synthesizeApp read each stage's template from <stack name>.template.json.
    expect(Object.keys(templates[OTHER_STAGE]?.Resources ?? {}).length).toBeGreaterThan(100);
  });

  it('tags every resource that takes tags with its stage', () => {
    for (const [stage, template] of Object.entries(templates)) {
      const tagged = Object.entries(template.Resources).flatMap(([logicalId, resource]) =>
        tagSets(resource.Properties).map((tags) => ({ logicalId, type: resource.Type, tags })),
      );
      const types = new Set(tagged.map(({ type }) => type));

      for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::SQS::Queue', 'AWS::Lambda::Function'])
        expect(types, type).toContain(type);
      for (const type of ['AWS::ApiGateway::RestApi', 'AWS::SNS::Topic', 'AWS::SecretsManager::Secret'])
        expect(types, type).toContain(type);
      for (const { logicalId, tags } of tagged) expect(tags.stage, `${logicalId} in ${stage}`).toBe(stage);
    }
  });

  it("makes every explicit name of two stages different, except names scoped to the stage's own resources", () => {
    const first = explicitNames(templates[DEFAULT_STAGE]);
    const second = explicitNames(templates[OTHER_STAGE]);
    const shared = [...first.keys()].filter((key) => second.has(key)).map((key) => first.get(key) ?? '');

    // The names that carry the stage are there to compare: the API's, the dashboard's, the usage plans'...
    expect([...first.keys()].filter((key) => key.includes(`notification-platform-${DEFAULT_STAGE}`)).length).toBe(
      [...second.keys()].filter((key) => key.includes(`notification-platform-${OTHER_STAGE}`)).length,
    );
    expect([...new Set(shared)].sort()).toEqual(SCOPED_NAMES);
  });
});

/**
 * The properties that name something inside a resource of the stage (a table's attribute, an API's model, a role's
 * policy, a metric), never alone in the account: the same in every stage, and free to be.
 */
const SCOPED_NAMES = [
  'AWS::ApiGateway::Method OperationName',
  'AWS::ApiGateway::Model Name',
  'AWS::ApiGateway::Stage StageName',
  'AWS::CloudWatch::Alarm Dimensions.Name',
  'AWS::CloudWatch::Alarm MetricName',
  'AWS::DynamoDB::GlobalTable AttributeDefinitions.AttributeName',
  'AWS::DynamoDB::GlobalTable GlobalSecondaryIndexes.IndexName',
  'AWS::DynamoDB::GlobalTable GlobalSecondaryIndexes.KeySchema.AttributeName',
  'AWS::DynamoDB::GlobalTable KeySchema.AttributeName',
  'AWS::DynamoDB::GlobalTable Replicas.GlobalSecondaryIndexes.IndexName',
  'AWS::DynamoDB::GlobalTable TimeToLiveSpecification.AttributeName',
  'AWS::IAM::Policy PolicyName',
  'AWS::Lambda::Function Environment.Variables.POWERTOOLS_SERVICE_NAME',
  // The web ACL's own name is generated; its metrics are told apart by it.
  'AWS::WAFv2::WebACL Rules.Action.Block.CustomResponse.ResponseHeaders.Name',
  'AWS::WAFv2::WebACL Rules.Name',
  // The header a batch's body size is read from (Content-Length).
  'AWS::WAFv2::WebACL Rules.Statement.AndStatement.Statements.RegexMatchStatement.FieldToMatch.SingleHeader.Name',
  'AWS::WAFv2::WebACL Rules.Statement.ManagedRuleGroupStatement.Name',
  'AWS::WAFv2::WebACL Rules.Statement.ManagedRuleGroupStatement.RuleActionOverrides.Name',
  'AWS::WAFv2::WebACL Rules.Statement.ManagedRuleGroupStatement.VendorName',
  'AWS::WAFv2::WebACL Rules.VisibilityConfig.MetricName',
  'AWS::WAFv2::WebACL VisibilityConfig.MetricName',
];

/**
 * Every string a template gives a property whose name ends in "Name", by where it is and what it says: the
 * names a team could collide on (or a CloudFormation generated name would not).
 */
function explicitNames(template: Template | undefined): Map<string, string> {
  const names = new Map<string, string>();
  const visit = (value: unknown, type: string, path: string[]) => {
    if (Array.isArray(value)) for (const item of value) visit(item, type, path);
    else if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) {
        if (/name$/i.test(key) && typeof inner === 'string')
          names.set(`${type} ${[...path, key].join('.')} = ${inner}`, `${type} ${[...path, key].join('.')}`);
        else visit(inner, type, [...path, key]);
      }
  };
  for (const resource of Object.values(template?.Resources ?? {})) visit(resource.Properties, resource.Type, []);
  return names;
}

/** Every set of tags in a resource's properties (a table's are its replicas'), as a map. */
function tagSets(properties: unknown): Record<string, string>[] {
  if (!properties || typeof properties !== 'object') return [];
  return Object.entries(properties).flatMap(([key, value]) => {
    if (key === 'Tags' && Array.isArray(value))
      return [Object.fromEntries(value.map((tag: { Key: string; Value: string }) => [tag.Key, tag.Value]))];
    if (key === 'Tags' && value && typeof value === 'object') return [value as Record<string, string>];
    return Array.isArray(value) ? value.flatMap(tagSets) : [];
  });
}
