/**
 * API Gateway's resource policy, enforced on loopback: the same document the stack attaches (lib/api-resource-policy.ts),
 * evaluated as IAM evaluates a resource-based policy for an anonymous caller: an explicit Deny wins, then an Allow, else
 * the request is denied. It knows what that document uses: Resource and NotResource with wildcards, and the IpAddress,
 * NotIpAddress, StringEquals and StringNotEquals conditions on aws:SourceIp, aws:VpcSourceIp and aws:SourceVpce (a
 * request here never comes through a VPC endpoint). test/infra checks the document with an evaluator of its own.
 */
import { BlockList, isIPv6 } from 'node:net';
import type { ResourcePolicyDocument, ResourcePolicyStatement } from '../lib/api-resource-policy.js';

export interface PolicyRequest {
  readonly method: string;
  /** The path under the stage, e.g. /notifications. */
  readonly path: string;
  readonly sourceIp: string;
}

export function policyAllows(policy: ResourcePolicyDocument, request: PolicyRequest): boolean {
  const resource = `execute-api:/v1/${request.method}${request.path}`;
  const context: Record<string, string | undefined> = { 'aws:SourceIp': request.sourceIp };
  const applies = (statement: ResourcePolicyStatement) =>
    [statement.Resource].flat().some((pattern) => wildcardMatch(pattern, resource)) &&
    Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, values]) => conditionHolds(operator, context[key], values)),
    );
  const matching = policy.Statement.filter(applies);
  if (matching.some((statement) => statement.Effect === 'Deny')) return false;
  return matching.some((statement) => statement.Effect === 'Allow');
}

function conditionHolds(operator: string, value: string | undefined, values: readonly string[]): boolean {
  switch (operator) {
    case 'IpAddress':
      return value !== undefined && inRanges(value, values);
    case 'NotIpAddress':
      return value === undefined || !inRanges(value, values);
    case 'StringEquals':
      return value !== undefined && values.includes(value);
    case 'StringNotEquals':
      return value === undefined || !values.includes(value);
    default:
      throw new Error(`the local gateway cannot evaluate the condition ${operator}`);
  }
}

function inRanges(address: string, cidrs: readonly string[]): boolean {
  const ranges = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix = ''] = cidr.split('/');
    ranges.addSubnet(network, Number(prefix), isIPv6(network) ? 'ipv6' : 'ipv4');
  }
  const bare = address.replace(/^::ffff:/, '');
  return ranges.check(bare, isIPv6(bare) ? 'ipv6' : 'ipv4');
}

/** IAM's wildcards in a resource: `*` any run of characters (across /), `?` one. */
function wildcardMatch(pattern: string, text: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(text);
}
