import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { NotificationFunction } from './notification-function.js';

export interface PlatformKeysProps {
  readonly description: string;
  /** The variable that tells a function where the secret is. */
  readonly arnVariable: string;
  /** What the secret holds beside the `current` key it is created with. */
  readonly template?: Readonly<Record<string, unknown>>;
  /** Why no rotation function rotates it (a documented procedure does, keeping what the old key made valid). */
  readonly rotatedBy: string;
}

/**
 * Keys the platform generates at deploy, in a secret {current, ...}: the keys that sign recipients' links, and the
 * peppers that key addresses on the suppression list. Functions read them with GetSecretValue only, and read them
 * again when what they hold was refused (lambdas/shared/platform/rotating-secret.ts).
 */
export class PlatformKeys extends Construct {
  readonly secret: Secret;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: PlatformKeysProps,
  ) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: props.description,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(props.template ?? {}),
        generateStringKey: 'current',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    Validations.of(this.secret).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: props.rotatedBy });
  }

  /** Lets the function read the keys (GetSecretValue only) and tells it where they are. */
  allowRead(fn: NotificationFunction): void {
    fn.addEnvironment(this.props.arnVariable, this.secret.secretArn);
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
    );
  }
}
