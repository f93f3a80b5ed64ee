/**
 * Twilio's auth token rotated under running functions, with the credentials in Secrets Manager (the emulator's), as
 * deployed: the SMS worker and the webhooks read the new token at once, rather than failing every text (20003) and
 * refusing every webhook (and so losing every STOP) until their cache expires.
 */

import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../../lambdas/shared/platform/operations.js';
import { proxyEvent } from '../../../local/api-gateway-emulation.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { secretsManager } from '../../support/emulator-clients.js';
import { createUser, saveTemplate } from '../../support/platform-fixtures.js';
import { receiveRecords, sqsEvent } from '../../support/sqs-events.js';
import {
  channelStatus,
  MESSAGING_SERVICE_SID,
  notify,
  runWorker,
  startWorkerPlatform,
  type WorkerPlatform,
} from '../../support/worker-platform.js';

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

const [OLD_TOKEN, NEW_TOKEN] = ['rotation-old-auth-token-000000000', 'rotation-new-auth-token-000000000'];
let world: WorkerPlatform;
let webhooks: Handler;
let secretArn: string;

beforeAll(async () => {
  world = await startWorkerPlatform('twilio-rotation');
  world.twilio.promoteAuthToken(OLD_TOKEN);
  const credentials = { account_sid: world.twilio.accountSid, messaging_service_sid: MESSAGING_SERVICE_SID };
  const { ARN = '' } = await secretsManager.send(
    new CreateSecretCommand({
      Name: `it-twilio-${randomUUID()}`,
      SecretString: JSON.stringify({ ...credentials, auth_token: OLD_TOKEN }),
    }),
  );
  secretArn = ARN;
  // Deployed, the functions find the credentials by the secret's ARN: the environment's are not read then.
  process.env.TWILIO_SECRET_ARN = secretArn;
  ({ handler: webhooks } = (await import('../../../lambdas/channels/sms/webhook-handler.js')) as unknown as {
    handler: Handler;
  });
  await saveTemplate(world.plane, 'order_shipped', { sms: { body: 'Order {{ order_id }} shipped' } });
});
afterAll(async () => {
  delete process.env.TWILIO_SECRET_ARN;
  await secretsManager.send(new DeleteSecretCommand({ SecretId: secretArn, ForceDeleteWithoutRecovery: true }));
  await world.remove();
});

/** Twilio rotates: the new token is promoted (the old one refused from now on) and put in the secret. */
async function rotate(secret: Record<string, string>): Promise<void> {
  world.twilio.promoteAuthToken(NEW_TOKEN);
  await secretsManager.send(
    new PutSecretValueCommand({
      SecretId: secretArn,
      SecretString: JSON.stringify({
        account_sid: world.twilio.accountSid,
        messaging_service_sid: MESSAGING_SERVICE_SID,
        ...secret,
      }),
    }),
  );
}

async function textTo(userId: string, order: string) {
  const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: order } });
  const records = await receiveRecords(world.platform.resources.queues.sms.url, 1);
  const result = await runWorker(world, 'sms', sqsEvent(records));
  return { result, status: await channelStatus(world, id, 'sms') };
}

/** A status callback for an unknown notification (answered 204 when signed by Twilio), signed with `token`. */
function callback(token: string) {
  const { path } = OPERATIONS.twilioStatusCallback;
  const query = { n: randomUUID() };
  const url = `${process.env.PUBLIC_API_URL}${path}?n=${query.n}`;
  const form = { MessageSid: `SM${randomUUID().replaceAll('-', '')}`, MessageStatus: 'delivered' };
  const event = proxyEvent({
    method: 'POST',
    resource: path,
    path,
    pathParameters: null,
    query,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(token, url, form),
    },
    body: new URLSearchParams(form).toString(),
    apiKeyId: '',
  });
  return webhooks(event, lambdaContext('sms-webhooks'));
}

describe("a rotation of Twilio's auth token", () => {
  it('sends the next text with the new token at once, and takes webhooks signed with either token', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    // Both functions read the old token, and cache it.
    expect((await textTo(userId, 'A-1')).status).toMatchObject({ status: 'sent' });
    expect((await callback(OLD_TOKEN)).statusCode).toBe(204);

    await rotate({ auth_token: NEW_TOKEN, previous_auth_token: OLD_TOKEN });
    const after = await textTo(userId, 'A-2');
    const signedWithNew = await callback(NEW_TOKEN);
    const signedWithOld = await callback(OLD_TOKEN);
    const forged = await callback('not-a-token-of-the-account-000000');

    expect(after.result.batchItemFailures).toEqual([]);
    expect(after.status).toMatchObject({ status: 'sent' });
    const refused = world.twilio.requests.filter((request) => request.errorCode === 20003);
    expect(refused).toHaveLength(1);
    expect([signedWithNew.statusCode, signedWithOld.statusCode, forged.statusCode]).toEqual([204, 204, 403]);
  });
});
