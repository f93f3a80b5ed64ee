/**
 * One test file's worth of platform for the channel workers: tables, queues and push applications in the
 * emulator, a verified SES sender, the local Twilio-compatible server, the control plane and the ingest.
 */
import { VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CHANNELS, type Channel } from '../../lambdas/channels/registry.js';
import { HANDLER_MODULES } from '../../lambdas/shared/platform/resources.js';
import { startTwilioSandbox, type TwilioSandbox } from '../../local/twilio-sandbox.js';
import { invoke, lambdaContext, TEST_KEYS } from './api-gateway.js';
import { ses } from './emulator-clients.js';
import { type ControlPlane, loadControlPlane } from './platform-fixtures.js';
import { provisionTestPlatform, type TestPlatform } from './test-platform.js';

export const SENDER = 'notifications@example.com';
export const MESSAGING_SERVICE_SID = 'MG00000000000000000000000000000001';

type Worker = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

export interface WorkerPlatform {
  readonly platform: TestPlatform;
  readonly twilio: TwilioSandbox;
  readonly plane: ControlPlane;
  readonly workers: Readonly<Record<Channel, Worker>>;
  readonly ingest: Parameters<typeof invoke>[0];
  readonly status: Parameters<typeof invoke>[0];
  readonly remove: () => Promise<void>;
}

export async function startWorkerPlatform(
  name: string,
  overrides: Record<string, string> = {},
): Promise<WorkerPlatform> {
  const twilio = await startTwilioSandbox();
  // Before the overrides: they may point the functions' SES elsewhere.
  await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
  const platform = await provisionTestPlatform(name, {
    SES_SENDER: SENDER,
    DELIVERY_ATTEMPTS: '8',
    CLAIM_LEASE_SECONDS: '120',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID,
    TWILIO_API_BASE_URL: twilio.url,
    ...overrides,
  });
  const plane = await loadControlPlane();
  const [ingest, status, ...workers] = await Promise.all([
    import('../../lambdas/ingest/handler.js'),
    import('../../lambdas/notification-status/handler.js'),
    ...CHANNELS.map(
      (channel) =>
        import(
          /* @vite-ignore */ new URL(`../../lambdas/${HANDLER_MODULES.worker(channel)}`, import.meta.url).href
        ) as Promise<{
          handler: Worker;
        }>,
    ),
  ]);
  return {
    platform,
    twilio,
    plane,
    workers: Object.fromEntries(CHANNELS.map((channel, index) => [channel, workers[index]?.handler])) as Record<
      Channel,
      Worker
    >,
    ingest: ingest.handler,
    status: status.handler,
    remove: async () => {
      await twilio.stop();
      await platform.remove();
    },
  };
}

/** Accepts a notification through the real ingest handler (from the admin producer, which owns every type). */
export async function notify(world: WorkerPlatform, body: object): Promise<string> {
  const answer = await invoke(world.ingest, {
    operation: 'sendNotification',
    body,
    apiKeyId: TEST_KEYS.admin,
  });
  if (answer.statusCode !== 202)
    throw new Error(`ingest answered ${answer.statusCode}: ${JSON.stringify(answer.json)}`);
  return answer.json.notification_id;
}

export async function channelStatus(world: WorkerPlatform, notificationId: string, channel: Channel) {
  const answer = await invoke(world.status, {
    operation: 'getNotification',
    pathParameters: { notification_id: notificationId },
  });
  return answer.json.channels[channel];
}

export function runWorker(world: WorkerPlatform, channel: Channel, event: SQSEvent): Promise<SQSBatchResponse> {
  return world.workers[channel](event, lambdaContext(`${channel}-worker`));
}
