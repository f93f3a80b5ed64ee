import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/platform/environment.js';
import type { NotificationFunction } from './notification-function.js';

/**
 * The keys that sign recipients' links (an email's unsubscribe link, the preference page): a secret {current,
 * previous?} created with a random current key. To rotate: move `current` to `previous`, put a new `current`; links
 * already sent keep working until `previous` is removed (README, "One-click unsubscribe and the preference page").
 */
export class ConsentKeys extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: "Signs recipients' links (unsubscribe, preference page): JSON {current, previous?}",
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'current',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'a rotation must keep the previous key valid for links already sent, which a rotation Lambda would have to ' +
        'know; it is a documented two-step procedure instead',
    });
  }

  /** Lets the function read the keys (GetSecretValue only) and tells it where they are. */
  allowRead(fn: NotificationFunction): void {
    fn.addEnvironment(ENV.consentKeysSecretArn, this.secret.secretArn);
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
    );
  }
}
