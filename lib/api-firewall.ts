import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { BODY_TOO_LARGE_ANSWER } from '../lambdas/shared/http/request.js';
import type { PlatformSettings } from './settings.js';

export interface ApiFirewallProps {
  /** The API stages it stands before. */
  readonly stages: readonly Stage[];
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /**
   * The paths whose operation takes a larger body (a batch), each as a request names it (the stage or base path
   * first), with its own limit.
   * @default none
   */
  readonly largerBodies?: readonly { readonly path: string; readonly maxBodyBytes: number }[];
  /** Requests one source IP may make in five minutes before it gets 429. */
  readonly requestsPerSourceIpPer5Minutes: number;
  /** The keyless routes' own, lower, rate per source IP. */
  readonly keyless: Pick<PlatformSettings['api']['keyless'], 'requestsPerSourceIpPer5Minutes'>;
  /** The keyless routes, by the start of their paths as a request names them (the stage or base path first). */
  readonly keylessPathPrefixes: readonly string[];
}

/**
 * AWS WAF before every stage of the API, in order: a source IP over its rate gets 429, and over a far lower one on the
 * keyless routes (anyone on the internet can reach those); a body over the limit (its path's own, where it has one)
 * gets 413 before it costs an invocation; AWS's common rule set refuses known attack patterns (bad bots, SSRF to the instance metadata address,
 * path traversal), with two of its rules counting instead of blocking, for this API's own reasons below; and AWS's
 * known-bad-inputs rule set.
 */
export class ApiFirewall extends Construct {
  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: false,
    });
    const tooMany = {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: 'tooMany',
          responseHeaders: [{ name: 'Retry-After', value: '60' }],
        },
      },
    };
    const tooLarge = { block: { customResponse: { responseCode: 413, customResponseBodyKey: 'tooLarge' } } };
    const largerBodies = props.largerBodies ?? [];
    const pathIs = (path: string) => ({
      byteMatchStatement: {
        searchString: path,
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'EXACTLY',
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    const bodyOver = (size: number) => ({
      sizeConstraintStatement: {
        fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
        comparisonOperator: 'GT',
        size,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    const largerPaths =
      largerBodies.length === 1
        ? pathIs(largerBodies[0]?.path ?? '')
        : { orStatement: { statements: largerBodies.map(({ path }) => pathIs(path)) } };
    const acl = new CfnWebACL(this, 'Default', {
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
          action: tooMany,
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerSourceIpPer5Minutes,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility('rate-per-source-ip'),
        },
        {
          // Anyone on the internet can reach these: one address may not use more than a person or Twilio would.
          name: 'keyless-rate-per-source-ip',
          priority: 1,
          action: tooMany,
          statement: {
            rateBasedStatement: {
              limit: props.keyless.requestsPerSourceIpPer5Minutes,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              scopeDownStatement: {
                orStatement: {
                  statements: props.keylessPathPrefixes.map((prefix) => ({
                    byteMatchStatement: {
                      searchString: prefix,
                      fieldToMatch: { uriPath: {} },
                      positionalConstraint: 'STARTS_WITH',
                      textTransformations: [{ priority: 0, type: 'NONE' }],
                    },
                  })),
                },
              },
            },
          },
          visibilityConfig: visibility('keyless-rate-per-source-ip'),
        },
        {
          name: 'body-size-limit',
          priority: 2,
          action: tooLarge,
          statement:
            largerBodies.length === 0
              ? bodyOver(props.maxBodyBytes)
              : {
                  andStatement: {
                    statements: [bodyOver(props.maxBodyBytes), { notStatement: { statement: largerPaths } }],
                  },
                },
          visibilityConfig: visibility('body-size-limit'),
        },
        // WAF sees at most 64 KB of an API Gateway body (its largest inspection limit), so a path that takes more is
        // held to its limit by the Content-Length its request declares; the handler measures the body itself too.
        ...largerBodies.map(({ path, maxBodyBytes }, index) => {
          const name = `body-size-limit${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
          return {
            name,
            priority: 3 + index,
            action: tooLarge,
            statement: {
              andStatement: {
                statements: [
                  pathIs(path),
                  {
                    regexMatchStatement: {
                      regexString: numbersAbove(maxBodyBytes),
                      // CloudFormation's own spelling: CDK passes a single header's JSON through as it is.
                      fieldToMatch: { singleHeader: { Name: 'content-length' } },
                      textTransformations: [{ priority: 0, type: 'NONE' }],
                    },
                  },
                ],
              },
            },
            visibilityConfig: visibility(name),
          };
        }),
        {
          name: 'aws-common-rule-set',
          priority: 3 + largerBodies.length,
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
          priority: 4 + largerBodies.length,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
          visibilityConfig: visibility('aws-known-bad-inputs'),
        },
      ],
    });
    props.stages.forEach((stage, index) => {
      new CfnWebACLAssociation(this, index === 0 ? 'Association' : `Association${index}`, {
        resourceArn: stage.stageArn,
        webAclArn: acl.attrArn,
      });
    });
  }
}

/**
 * A regular expression (as AWS WAF reads one: no capturing groups) that matches a whole decimal number greater than
 * `limit`, leading zeros allowed: the same number of digits with a greater digit after an equal start, or more digits.
 */
export function numbersAbove(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`not a whole number: ${limit}`);
  const digits = String(limit);
  const longer = `[1-9]\\d{${digits.length},}`;
  const sameLength = [...digits].flatMap((digit, index) => {
    if (digit === '9') return [];
    const rest = digits.length - index - 1;
    const greater = digit === '8' ? '9' : `[${Number(digit) + 1}-9]`;
    return [`${digits.slice(0, index)}${greater}${rest === 0 ? '' : rest === 1 ? '\\d' : `\\d{${rest}}`}`];
  });
  return `^0*(?:${[longer, ...sameLength].join('|')})$`;
}
