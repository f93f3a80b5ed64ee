import { UsersStore } from '../../shared/adapters/users-store.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { channelWorkerHandler } from '../../shared/delivery/worker-handler.js';
import { ENV, requiredEnv } from '../../shared/platform/environment.js';
import { templateRenderer } from '../../shared/templates/bounded-renderer.js';
import { SmsDeliverer } from './deliverer.js';
import { loadTwilioSettings, SmsSender } from './sender.js';

let sender: Promise<SmsSender> | undefined;
const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);

/** Consumes the SMS queue and delivers through Twilio. */
export const handler = channelWorkerHandler(
  new SmsDeliverer(
    () => {
      // Once per instance; a failed read is not kept, so the next job tries again.
      sender ??= loadTwilioSettings()
        .then((settings) => new SmsSender(settings))
        .catch((error) => {
          sender = undefined;
          throw error;
        });
      return sender;
    },
    templateRenderer,
    (userId) =>
      users.switchChannel(userId, 'sms', { on: false, source: 'provider_unsubscribed', at: new Date().toISOString() }),
  ),
);
