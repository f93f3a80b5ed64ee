import { type SuppressionItem, SuppressionList } from '../shared/adapters/suppression-list.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { notFound } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { suppressionPeppers } from '../shared/platform/suppression-keys.js';

const suppressions = new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers);

/** A suppression as answered: why and since when, named by its address's key. */
function answer(item: SuppressionItem | undefined) {
  if (item?.since === undefined) throw notFound('a suppression of this address');
  return json(200, {
    address_key: item.address_key,
    channel: item.channel,
    reason: item.reason,
    since: item.since,
    ...(item.detail && Object.keys(item.detail).length > 0 ? { detail: item.detail } : {}),
  });
}

/** Why an address is suppressed, and lifting it. The address is never logged, nor in a path: its key stands for it. */
export const handler = operationsHandler({
  findSuppression: async ({ body: { channel, address } }) => answer(await suppressions.find(channel, address)),
  getSuppression: async ({ path: { address_key } }) => answer(await suppressions.findByKey(address_key)),
  liftSuppression: async ({ path: { address_key } }) => {
    if (!(await suppressions.liftKey(address_key))) throw notFound('a suppression of this address');
    logger.info('suppression lifted');
    return noContent();
  },
});
