import { CfnResource, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The template linters' findings that do not apply to this stack, acknowledged in the template with their reason, as
 * cdk-nag's acknowledgements are: each names why, none hides a defect. checkov reads a resource's
 * Metadata.checkov.skip (id and comment); cfn-lint reads Metadata.cfn-lint.config.ignore_checks (ids only, so the
 * reason is here). test/infra/template-linters.test.ts runs both linters on every variant of the stack.
 */
interface Acknowledgement {
  readonly id: string;
  readonly comment: string;
  /** Whether it applies to this resource, by its L1 properties (the finding would be raised); always, if absent. */
  readonly when?: (resource: Record<string, unknown>) => boolean;
}

/**
 * cfn-lint's, by resource type. W3005 (a DependsOn that a GetAtt already implies): CDK makes each function depend on
 * its role and the role's policy, so the policy exists before the function can be invoked; the role's half is
 * redundant, and CDK writes it anyway.
 */
const CFN_LINT_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'AWS::Lambda::Function': ['W3005'],
};

/** checkov's, by resource type. */
const CHECKOV_BY_TYPE: Readonly<Record<string, readonly Acknowledgement[]>> = {
  'AWS::Lambda::Function': [
    {
      id: 'CKV_AWS_116',
      comment:
        'a function DLQ catches failed asynchronous invocations; these functions are invoked synchronously (API ' +
        'Gateway) or by SQS event sources, whose failures go back to the queue and its own DLQ',
    },
    {
      id: 'CKV_AWS_117',
      comment:
        'only the ingest function, which reads through DAX, needs a VPC; the others call AWS APIs and Twilio, and a ' +
        'VPC would add NAT gateways or endpoints for nothing',
      when: (resource) => resource.vpcConfig === undefined,
    },
    {
      id: 'CKV_AWS_173',
      comment:
        'the environment holds resource names and ARNs only, encrypted at rest with the AWS managed key; secrets are ' +
        'in Secrets Manager',
    },
    {
      id: 'CKV_AWS_115',
      comment:
        "an API function is bounded by API Gateway's usage plans and throttling; the channel workers reserve their " +
        'concurrency unless the settings say not to (channels.<channel>.reserveConcurrency)',
      when: (resource) => resource.reservedConcurrentExecutions === undefined,
    },
  ],
  'AWS::Logs::LogGroup': [
    {
      id: 'CKV_AWS_158',
      comment:
        'CloudWatch Logs encrypts every log group at rest; the logs carry ids only, never addresses, numbers, tokens ' +
        'or payload values (test/integration/log-hygiene.test.ts), so a customer key would protect nothing more',
    },
  ],
  'AWS::SQS::Queue': [
    {
      id: 'CKV_AWS_27',
      comment: 'encrypted with SQS-managed keys (SqsManagedSseEnabled), which this rule does not recognise',
      when: (resource) => resource.sqsManagedSseEnabled === true,
    },
  ],
  'AWS::SecretsManager::Secret': [
    {
      id: 'CKV_AWS_149',
      comment:
        'encrypted with the AWS managed key of Secrets Manager; read only by the functions granted GetSecretValue',
    },
  ],
  'AWS::ApiGateway::Method': [
    {
      id: 'CKV_AWS_59',
      comment:
        "a provider's webhook (Twilio: its signature checked) or a recipient's link (its signed token checked): no " +
        'caller of these can hold an API key',
      when: (resource) => resource.apiKeyRequired !== true,
    },
  ],
  'AWS::ApiGateway::Stage': [
    {
      id: 'CKV_AWS_120',
      comment: "every answer depends on the caller and on data that changes; a cache would serve stale or others' data",
    },
  ],
};

export class TemplateAcknowledgements implements IAspect {
  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const resource = node as unknown as Record<string, unknown>;
    const skip = (CHECKOV_BY_TYPE[node.cfnResourceType] ?? [])
      .filter((acknowledgement) => acknowledgement.when?.(resource) ?? true)
      .map(({ id, comment }) => ({ id, comment }));
    if (skip.length > 0) node.addMetadata('checkov', { skip });
    const ignored = CFN_LINT_BY_TYPE[node.cfnResourceType];
    if (ignored) node.addMetadata('cfn-lint', { config: { ignore_checks: ignored } });
  }
}
