import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ChannelInfrastructure, WorkerContext } from '../../../lib/channel-infrastructure.js';
import type { NotificationFunction } from '../../../lib/notification-function.js';
import { allowAttributeUpdates } from '../../../lib/table-access.js';
import { SWITCH_ATTRIBUTES } from '../../shared/adapters/users-store.js';
import { SMS_VARIABLES, smsWording } from './channel.js';

/** The SMS worker reads Twilio's credentials from a secret: the configured one, or one created empty to fill in. */
export const infrastructure: ChannelInfrastructure = {
  equipWorker: (worker, context) => {
    readsTwilioCredentials(worker, context);
    worker.addEnvironment(SMS_VARIABLES.wording, JSON.stringify(smsWording(context.settings.sms)));
    // Twilio's 21610 (the person texted STOP) turns that person's SMS switch off, and nothing else of theirs.
    allowAttributeUpdates(worker, context.tables.users, SWITCH_ATTRIBUTES('sms'));
  },
  equipWebhooks: (fn, context) => {
    readsTwilioCredentials(fn, context);
    fn.addEnvironment(SMS_VARIABLES.wording, JSON.stringify(smsWording(context.settings.sms)));
  },
  // Deleting a person's texts at Twilio (text-copies.ts) needs the credentials, and reaches Twilio on the internet.
  equipErasure: readsTwilioCredentials,
  // A template's texts must fit Twilio's 1,600 characters with the opt-out line they end with, in every language.
  equipTemplates: (fn, context) => {
    fn.addEnvironment(SMS_VARIABLES.wording, JSON.stringify(smsWording(context.settings.sms)));
  },
};

function readsTwilioCredentials(fn: NotificationFunction, { settings: { sms } }: WorkerContext): void {
  const secret = twilioSecretOf(Stack.of(fn), sms.twilioSecretArn);
  fn.addEnvironment(SMS_VARIABLES.twilioSecretArn, secret.secretArn);
  // Read, not described: grantRead would add secretsmanager:DescribeSecret, which nothing here calls.
  fn.addToRolePolicy(
    new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
}

/** The stack's one Twilio secret: the configured one, or one created empty to fill in. */
function twilioSecretOf(stack: Stack, configuredArn: string | undefined): ISecret {
  const existing = stack.node.tryFindChild('TwilioCredentials') as ISecret | undefined;
  if (existing) return existing;
  return configuredArn
    ? Secret.fromSecretCompleteArn(stack, 'TwilioCredentials', configuredArn)
    : createTwilioSecret(stack);
}

function createTwilioSecret(stack: Stack): Secret {
  const secret = new Secret(stack, 'TwilioCredentials', {
    description:
      'Twilio credentials of the SMS worker, JSON {account_sid, auth_token, messaging_service_sid | from_number}',
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason: "Twilio's auth token is issued and rotated in Twilio's console, then stored here; AWS cannot rotate it",
  });
  new CfnOutput(stack, 'TwilioCredentialsSecretArn', {
    description:
      'Put the Twilio credentials here after the first deploy (docs/deploying.md, "In your AWS account, step by step")',
    value: secret.secretArn,
  });
  return secret;
}
