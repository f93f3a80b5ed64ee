/** The person erasure of this function's environment, and the queue its later passes go through. */

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeviceRegistry } from '../channels/push/device-registry.js';
import { PushEndpoints } from '../channels/push/endpoints.js';
import { snsClient } from '../channels/push/sns-clients.js';
import { TwilioTextCopies } from '../channels/sms/text-copies.js';
import { loadTwilioSettings } from '../channels/sms/twilio-settings.js';
import { DigestWindows } from '../shared/adapters/digest-windows.js';
import { FrequencyCounters } from '../shared/adapters/frequency-counters.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { SuppressionList } from '../shared/adapters/suppression-list.js';
import { TopicsStore } from '../shared/adapters/topics-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { suppressionPeppers } from '../shared/platform/suppression-keys.js';
import * as z from '../shared/schemas/zod.js';
import { PersonErasure } from './person-erasure.js';

const notificationsTable = requiredEnv(ENV.notificationsTable);
const notifications = new NotificationsStore(notificationsTable, documentClient);
const topics = new TopicsStore(requiredEnv(ENV.topicsTable), documentClient);

export const personErasure = new PersonErasure({
  users: new UsersStore(requiredEnv(ENV.usersTable), documentClient),
  devices: new DeviceRegistry(
    { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
    documentClient,
    new PushEndpoints(snsClient),
  ),
  notifications,
  suppressions: new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers),
  // Twilio's credentials are read only when a text is to be deleted: an installation that never texts needs none.
  providerCopies: { sms: new TwilioTextCopies(loadTwilioSettings) },
  keyedByPerson: [
    new FrequencyCounters(notificationsTable, documentClient),
    new DigestWindows(notificationsTable, documentClient, notifications),
    // Their subscriptions to every topic.
    { forgetPerson: (userId) => topics.removeEverywhere(userId) },
  ],
});

/** What the erasure queue carries: whom to erase again, and since when the erasure runs. */
export const followUpSchema = z.strictObject({ user_id: z.string().check(z.minLength(1)), requested_at: z.string() });
export type FollowUp = z.infer<typeof followUpSchema>;

/** Puts the erasure's next pass on the erasure queue, to be made after `delaySeconds` (at most 900). */
export async function scheduleFollowUp(followUp: FollowUp, delaySeconds: number): Promise<void> {
  await sqsClient.send(
    new SendMessageCommand({
      QueueUrl: requiredEnv(ENV.erasureQueueUrl),
      MessageBody: JSON.stringify(followUp),
      DelaySeconds: delaySeconds,
    }),
  );
}
