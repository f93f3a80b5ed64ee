import { addressKey, SuppressionList } from '../shared/adapters/suppression-list.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { notFound } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';

const suppressions = new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient);

/** Why an address is suppressed, and lifting it. The address is never logged: its key stands for it. */
export const handler = operationsHandler({
  getSuppression: async ({ path: { channel, address } }) => {
    const item = await suppressions.find(channel, address);
    if (item?.since === undefined) throw notFound(`a suppression of this ${channel} address`);
    return json(200, {
      channel,
      reason: item.reason,
      since: item.since,
      ...(item.detail && Object.keys(item.detail).length > 0 ? { detail: item.detail } : {}),
    });
  },
  liftSuppression: async ({ path: { channel, address } }) => {
    const lifted = await suppressions.lift(channel, address);
    if (!lifted) throw notFound(`a suppression of this ${channel} address`);
    logger.info('suppression lifted', { channel, address_key: addressKey(channel, address) });
    return noContent();
  },
});
