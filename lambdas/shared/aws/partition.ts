import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';

/** Deletes every item of one partition of a table, a page at a time; answers how many. */
export async function deletePartition(client: DynamoDBDocument, tableName: string, pk: string): Promise<number> {
  let deleted = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.query({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: 'pk, sk',
      ExclusiveStartKey,
    });
    const items = page.Items ?? [];
    await Promise.all(items.map((item) => client.delete({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } })));
    deleted += items.length;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return deleted;
}
