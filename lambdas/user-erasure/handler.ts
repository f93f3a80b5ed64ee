import { operationsHandler } from '../shared/http/operation-handler.js';
import { noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { ERASURE_FOLLOW_UP } from '../shared/platform/resources.js';
import { personErasure, scheduleFollowUp } from './erasure.js';

/**
 * Forgets a person (person-erasure.ts): one pass now, and the next one queued for when the index of their notifications
 * has settled, so that nothing written before the request survives. Idempotent: erasing again, or erasing someone
 * never seen, answers 204 too; a call cut short is finished by the next one.
 */
export const handler = operationsHandler({
  erasePerson: async ({ path: { user_id } }) => {
    const requestedAt = new Date().toISOString();
    // Queued first: if this pass is cut short, the next one still comes.
    await scheduleFollowUp({ user_id, requested_at: requestedAt }, ERASURE_FOLLOW_UP.firstAfterSeconds);
    const pass = await personErasure.pass(user_id);
    logger.info('person erased', { devices: pass.devices, notification_records: pass.records, pending: pass.pending });
    return noContent();
  },
});
