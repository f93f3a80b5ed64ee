import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../lambdas/shared/platform/resources.js';
import { dynamoDb } from '../support/emulator-clients.js';

// The table has the notifications table's own key schema: delivery claims will be written to it this way.
const tableName = `it-claims-${randomUUID()}`;
const { partitionKey, sortKey } = TABLES.notifications;

describe('DynamoDB emulator', () => {
  beforeAll(async () => {
    await dynamoDb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
          { AttributeName: sortKey.name, AttributeType: sortKey.type },
        ],
        KeySchema: [
          { AttributeName: partitionKey.name, KeyType: 'HASH' },
          { AttributeName: sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    );
    await waitUntilTableExists({ client: dynamoDb, minDelay: 1, maxWaitTime: 20 }, { TableName: tableName });
  });

  afterAll(async () => {
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
  });

  it('lets a conditional put claim a key once and refuses the second claim', async () => {
    // Prepare
    const claim = (worker: string) =>
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `notification#${randomUUID()}` }, sk: { S: 'claim#email' }, worker: { S: worker } },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    const first = claim('worker-a');
    const key = { pk: first.input.Item?.pk ?? { S: '' }, sk: { S: 'claim#email' } };
    const second = new PutItemCommand({ ...claim('worker-b').input, Item: { ...key, worker: { S: 'worker-b' } } });

    // Act
    await dynamoDb.send(first);
    const refused = dynamoDb.send(second);

    // Assess
    await expect(refused).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const stored = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    expect(stored.Item?.worker).toEqual({ S: 'worker-a' });
  });
});
