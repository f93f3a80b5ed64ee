import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ChannelInfrastructure } from '../../../lib/channel-infrastructure.js';
import { SMS_VARIABLES } from './channel.js';

/** The SMS worker reads Twilio's credentials from a secret: the configured one, or one created empty to fill in. */
export const infrastructure: ChannelInfrastructure = {
  equipWorker(worker, { settings: { sms } }) {
    const stack = Stack.of(worker);
    const secret = sms.twilioSecretArn
      ? Secret.fromSecretCompleteArn(stack, 'TwilioCredentials', sms.twilioSecretArn)
      : createTwilioSecret(stack);
    worker.addEnvironment(SMS_VARIABLES.twilioSecretArn, secret.secretArn);
    // Read, not described: grantRead would add secretsmanager:DescribeSecret, which the worker never calls.
    worker.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
  },
};

function createTwilioSecret(stack: Stack): Secret {
  const secret = new Secret(stack, 'TwilioCredentials', {
    description:
      'Twilio credentials of the SMS worker, JSON {account_sid, auth_token, messaging_service_sid | from_number}',
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason: "Twilio's auth token is issued and rotated in Twilio's console, then stored here; AWS cannot rotate it",
  });
  return secret;
}
