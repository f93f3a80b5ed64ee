/**
 * The API's resource policy for `api.allowedSources`, as JSON: the CDK stack attaches it and the local gateway
 * (local/resource-policy.ts) enforces the same document, so the two cannot drift. It imports nothing from the CDK.
 *
 * API keys identify producers; they are not an access control (AWS says as much of usage plans), so where producers
 * call from is checked too. A recipient's link and Twilio's webhooks are called from anywhere on the internet, so the
 * fence covers the producers' routes only, listed by name (AWS's documented way to exempt routes from a Deny): a
 * mail provider's one-click POST, a person opening their preference page and Twilio's callbacks stay reachable.
 */
import { needsApiKey, OPERATION_LIST } from '../lambdas/shared/platform/operations.js';
import type { PlatformSettings } from './settings.js';

export type AllowedSources = NonNullable<PlatformSettings['api']['allowedSources']>;

export interface ResourcePolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: { readonly AWS: '*' };
  readonly Action: 'execute-api:Invoke';
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export interface ResourcePolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly ResourcePolicyStatement[];
}

/** An operation as a resource of the policy: any stage, its method, its path with each {parameter} a wildcard. */
export function operationResource(operation: { readonly method: string; readonly path: string }): string {
  return `execute-api:/*/${operation.method}${operation.path.replace(/\{\w+\}/g, '*')}`;
}

/** The operations a producer calls with its API key: what allowedSources fences. */
export const PRODUCER_RESOURCES = OPERATION_LIST.filter(needsApiKey).map(operationResource);

const invoke = { Principal: { AWS: '*' }, Action: 'execute-api:Invoke' } as const;

/**
 * The producers' API's policy, or none when every source may call it. With VPC endpoints it is a private API holding
 * the producers' routes alone (the keyless ones are on a public API of their own), reachable only through those
 * endpoints, and `cidrs` are the callers' addresses inside the VPC; otherwise it is regional, and `cidrs` are the
 * producers' public addresses.
 */
export function producerApiPolicy(sources: AllowedSources | undefined): ResourcePolicyDocument | undefined {
  if (!sources) return undefined;
  const statements: ResourcePolicyStatement[] = [{ Effect: 'Allow', ...invoke, Resource: 'execute-api:/*' }];
  const { cidrs, vpcEndpoints } = sources;
  if (vpcEndpoints) {
    // aws:SourceVpce exists only on a private API's requests: on a regional one this would deny everything.
    statements.push({
      Effect: 'Deny',
      ...invoke,
      Resource: 'execute-api:/*',
      Condition: { StringNotEquals: { 'aws:SourceVpce': vpcEndpoints } },
    });
    // Through an endpoint, the caller's own address inside the VPC is aws:VpcSourceIp.
    if (cidrs)
      statements.push({
        Effect: 'Deny',
        ...invoke,
        Resource: 'execute-api:/*',
        Condition: { NotIpAddress: { 'aws:VpcSourceIp': cidrs } },
      });
  } else if (cidrs) {
    statements.push({
      Effect: 'Deny',
      ...invoke,
      Resource: PRODUCER_RESOURCES,
      Condition: { NotIpAddress: { 'aws:SourceIp': cidrs } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Whether the keyless routes need an API of their own: a private API cannot be reached from the internet. */
export function keylessRoutesApart(sources: AllowedSources | undefined): boolean {
  return sources?.vpcEndpoints !== undefined;
}
