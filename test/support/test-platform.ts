/**
 * Gives one integration test file its own tables, queues and push applications in the emulator, and the
 * environment the handlers read. Import a handler only after `provisionTestPlatform`: handlers read their
 * configuration when their module loads, as they do in Lambda.
 */

import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  functionEnvironment,
  type LocalResources,
  provisionLocalResources,
  removeLocalResources,
} from '../../local/provision.js';
import { TEST_PRODUCERS } from './api-gateway.js';
import { SHIPPED_CATEGORIES, TEST_CONSENT_KEYS, TEST_SUPPRESSION_KEYS } from './categories.js';
import { dynamoDb, ses, sns, sqs } from './emulator-clients.js';
import { messagesIn } from './queue-inspection.js';

export interface TestPlatform {
  readonly resources: LocalResources;
  readonly remove: () => Promise<void>;
}

/**
 * What the platform holds, as counts: every item of every table and every message of every queue. Equal before and
 * after a refused request, it shows the request changed nothing.
 */
export async function footprint(platform: TestPlatform): Promise<string> {
  const { tables, queues } = platform.resources;
  const counts: number[] = [];
  for (const TableName of Object.values(tables))
    counts.push((await dynamoDb.send(new ScanCommand({ TableName }))).Count ?? 0);
  for (const queue of Object.values(queues)) counts.push((await messagesIn(queue.url)).length);
  return counts.join(',');
}

export async function provisionTestPlatform(
  name: string,
  overrides: Record<string, string> = {},
): Promise<TestPlatform> {
  const clients = { dynamoDb, sqs, sns, ses, events: new EventBridgeClient({}) };
  const resources = await provisionLocalResources(clients, `it-${name}-${randomUUID().slice(0, 8)}`);
  Object.assign(
    process.env,
    functionEnvironment(resources),
    {
      PRODUCERS: JSON.stringify(TEST_PRODUCERS),
      CATEGORIES: JSON.stringify(SHIPPED_CATEGORIES),
      CONSENT_KEYS: JSON.stringify(TEST_CONSENT_KEYS),
      SUPPRESSION_KEYS: JSON.stringify(TEST_SUPPRESSION_KEYS),
      MAX_DEVICES_PER_USER: '10',
      CLAIM_LEASE_SECONDS: '120',
      PUBLIC_API_URL: 'https://api.example.test/v1',
      POWERTOOLS_SERVICE_NAME: `test-${name}`,
      POWERTOOLS_METRICS_NAMESPACE: 'NotificationPlatformTest',
    },
    overrides,
  );
  return { resources, remove: () => removeLocalResources(clients, resources) };
}
