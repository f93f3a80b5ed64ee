import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ChannelInfrastructure } from '../../../lib/channel-infrastructure.js';
import { EMAIL_VARIABLES } from './channel.js';

/** The email worker sends through SES, from the configured identity, and nothing else. */
export const infrastructure: ChannelInfrastructure = {
  equipWorker(worker, { settings: { email } }) {
    const stack = Stack.of(worker);
    worker.addEnvironment(EMAIL_VARIABLES.sender, email.sender);
    if (email.configurationSet) worker.addEnvironment(EMAIL_VARIABLES.configurationSet, email.configurationSet);
    // SendEmail alone: EmailIdentity.grantSendEmail would add SendRawEmail, which nothing here calls.
    worker.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: email.sender }),
          ...(email.configurationSet
            ? [stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: email.configurationSet })]
            : []),
        ],
      }),
    );
  },
};
