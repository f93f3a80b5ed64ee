import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_BOMB } from '../../support/hostile-templates.js';
import { createUser, saveTemplate } from '../../support/platform-fixtures.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import {
  channelStatus,
  notify,
  runWorker,
  startWorkerPlatform,
  type WorkerPlatform,
} from '../../support/worker-platform.js';

// A template that passed PUT can still cost too much over a payload. Rendered in the worker's bounded render
// process, it fails its own job for good and nothing else: the batch's other jobs are delivered, and the worker's
// process lives on.
let world: WorkerPlatform;

beforeAll(async () => {
  world = await startWorkerPlatform('render-limits');
  await saveTemplate(world.plane, 'order_digest', { sms: { body: PAYLOAD_BOMB.template } });
  await saveTemplate(world.plane, 'order_code', { sms: { body: 'Your code is {{ code }}' } });
});
afterAll(() => world.remove());

describe('a template that exceeds the render limits over its payload', () => {
  it('fails its job with render_limit_exceeded, for good, while the next job of the same batch is delivered', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const bomb = await notify(world, { user_id: userId, type: 'order_digest', payload: PAYLOAD_BOMB.payload });
    const code = await notify(world, { user_id: userId, type: 'order_code', payload: { code: '8642' } });
    const records = await receiveRecords(world.platform.resources.queues.sms.url, 2);

    const result = await runWorker(world, 'sms', sqsEvent(records));
    await settle(world.platform.resources.queues.sms.url, records, result);

    expect(result.batchItemFailures).toEqual([]);
    expect(await channelStatus(world, bomb, 'sms')).toMatchObject({
      status: 'failed',
      reason: 'render_limit_exceeded',
    });
    expect(await channelStatus(world, code, 'sms')).toMatchObject({ status: 'sent' });
    expect(world.twilio.messages.map((message) => message.fields.Body)).toContain('Your code is 8642');
  });
});
