import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { ENV, optionalEnv } from '../platform/environment.js';
import { documentClient } from './dynamodb.js';

/**
 * The client the ingest path reads users with: the DAX cluster when DAX_ENDPOINT is set (deployed with
 * the preferences cache), DynamoDB itself otherwise (local runtime, small installs). A cached read may be
 * a few minutes old; the channel workers read the user fresh before they deliver, so an opt-out is
 * always honoured. The DAX client is loaded only when used, and bundled only into a stack with the cache
 * (DAX_CLIENT_PACKAGE, which must name the package imported here).
 */
async function userReadClient(): Promise<DynamoDBDocument> {
  const daxEndpoint = optionalEnv(ENV.daxEndpoint);
  if (!daxEndpoint) return documentClient;
  const { DaxDocument } = await import('@amazon-dax-sdk/lib-dax');
  return new DaxDocument({ endpoint: daxEndpoint, region: process.env.AWS_REGION });
}

export const userReads = await userReadClient();
