/**
 * `api.allowedSources` fences the producers' routes and nothing else: a recipient's links and Twilio's webhooks are
 * called from anywhere on the internet. The synthesized resource policy is evaluated for every operation of the API
 * by an IAM policy simulator nobody here wrote (@cloud-copilot/iam-simulate), and by the local gateway's own
 * evaluator, which must agree with it.
 */
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { needsApiKey, OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import type { ResourcePolicyDocument } from '../../lib/api-resource-policy.js';
import { policyAllows } from '../../local/resource-policy.js';
import { settingsWith, synthStack } from './stack-fixture.js';

const PRODUCERS_CIDR = '203.0.113.0/24';
const ACCOUNT = '123456789012';
const API_ID = 'abc123defg';
const KEYLESS = OPERATION_LIST.filter((operation) => !needsApiKey(operation));

/** The operation's path as a request has it: each {parameter} given a value. */
const requestPath = (path: string) => path.replace(/\{\w+\}/g, 'value-1');

/** API Gateway expands the short resources of a saved policy to full ARNs; the simulator needs them so. */
function expanded(policy: ResourcePolicyDocument): ResourcePolicyDocument {
  const arn = (resource: string) =>
    resource.replace(/^execute-api:\//, `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/`);
  return {
    ...policy,
    Statement: policy.Statement.map((statement) => ({
      ...statement,
      Resource: [statement.Resource].flat().map(arn),
    })),
  };
}

async function simulated(policy: ResourcePolicyDocument, method: string, path: string, sourceIp: string) {
  const result = await runSimulation(
    {
      request: {
        principal: anonymousPrincipal,
        action: 'execute-api:Invoke',
        resource: {
          resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/v1/${method}${requestPath(path)}`,
          accountId: ACCOUNT,
        },
        contextVariables: { 'aws:SourceIp': sourceIp },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: expanded(policy),
    },
    {},
  );
  if (result.resultType !== 'single') throw new Error(`the simulator answered ${JSON.stringify(result)}`);
  return result.overallResult;
}

function restApis(template: Template) {
  return Object.values(template.findResources('AWS::ApiGateway::RestApi')).map((resource) => resource.Properties);
}

describe('a template with allowedSources.cidrs', () => {
  const template = synthStack(settingsWith((settings) => (settings.api.allowedSources = { cidrs: [PRODUCERS_CIDR] })));
  const [api] = restApis(template);
  const policy = api?.Policy as ResourcePolicyDocument;

  it('has one regional API, with a resource policy', () => {
    expect(restApis(template)).toHaveLength(1);
    expect(api?.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(policy.Statement.length).toBeGreaterThan(1);
  });

  it('lets the five keyless operations through from anywhere, and fences every producer operation', async () => {
    expect(KEYLESS.map((operation) => operation.id)).toEqual([
      'twilioStatusCallback',
      'twilioInboundMessage',
      'unsubscribe',
      'getPreferencePage',
      'savePreferencePage',
    ]);
    const verdicts: string[] = [];
    for (const operation of OPERATION_LIST) {
      for (const sourceIp of ['198.51.100.7', '203.0.113.9', '2001:db8::1']) {
        const fromProducers = sourceIp === '203.0.113.9';
        const simulator = await simulated(policy, operation.method, operation.path, sourceIp);
        const local = policyAllows(policy, { method: operation.method, path: requestPath(operation.path), sourceIp });
        const expected = fromProducers || !needsApiKey(operation) ? 'Allowed' : 'ExplicitlyDenied';
        verdicts.push(`${operation.id} from ${sourceIp}: ${simulator}`);
        expect(simulator, `${operation.id} from ${sourceIp}`).toBe(expected);
        // The local gateway enforces the same document to the same verdict.
        expect(local, `${operation.id} from ${sourceIp}, locally`).toBe(expected === 'Allowed');
      }
    }
    expect(verdicts.filter((verdict) => verdict.endsWith('ExplicitlyDenied'))).toHaveLength(
      2 * (OPERATION_LIST.length - KEYLESS.length),
    );
  });
});

describe('a template with allowedSources.vpcEndpoints', () => {
  const template = synthStack(
    settingsWith((settings) => (settings.api.allowedSources = { vpcEndpoints: ['vpce-0123456789abcdef0'] })),
  );

  it('makes the producers a private API, and gives the keyless routes a regional API of their own', () => {
    const apis = Object.entries(template.findResources('AWS::ApiGateway::RestApi'));
    const privateApi = apis.find(([, resource]) => resource.Properties.EndpointConfiguration.Types[0] === 'PRIVATE');
    const publicApi = apis.find(([, resource]) => resource.Properties.EndpointConfiguration.Types[0] === 'REGIONAL');
    expect(apis).toHaveLength(2);
    expect(publicApi?.[1].Properties.Policy).toBeUndefined();

    const methodsOf = (apiId: string | undefined) =>
      Object.values(template.findResources('AWS::ApiGateway::Method'))
        .filter((method) => JSON.stringify(method.Properties.RestApiId).includes(apiId ?? '?'))
        .map((method) => `${method.Properties.HttpMethod} ${method.Properties.ApiKeyRequired ? 'key' : 'keyless'}`);
    expect(methodsOf(publicApi?.[0]).sort()).toEqual(KEYLESS.map((operation) => `${operation.method} keyless`).sort());
    expect(methodsOf(privateApi?.[0]).every((method) => method.endsWith(' key'))).toBe(true);
    // Links and Twilio's callbacks point at the public API.
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const urls = functions.map((fn) => JSON.stringify(fn.Properties.Environment?.Variables?.PUBLIC_API_URL ?? ''));
    expect(urls.filter((url) => url.includes(publicApi?.[0] ?? '?')).length).toBeGreaterThan(0);
    expect(urls.filter((url) => url.includes(privateApi?.[0] ?? '?'))).toEqual([]);
  });
});
