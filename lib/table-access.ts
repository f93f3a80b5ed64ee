import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

/** The DynamoDB actions the platform's functions call (a TransactWriteItems is authorized item by item). */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'PutItem'
  | 'BatchWriteItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan';

/**
 * Lets the function call exactly these actions on the table: the narrowest grant, where grantReadData and
 * grantWriteData would add Scan, BatchWriteItem and DeleteItem whether or not it calls them, and every index. A Scan
 * is granted only to a function that lists the whole table (the templates', for GET /templates).
 */
export function allowTableActions(fn: IFunction, table: ITableV2, ...actions: TableAction[]): void {
  fn.addToRolePolicy(
    new PolicyStatement({ actions: actions.map((action) => `dynamodb:${action}`), resources: [table.tableArn] }),
  );
}

/** Lets the function query one index of the table, and no other. */
export function allowIndexQuery(fn: IFunction, table: ITableV2, indexName: string): void {
  fn.addToRolePolicy(
    new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${indexName}`] }),
  );
}

/**
 * Lets the function update only these attributes of the table's items (DynamoDB's fine-grained access control):
 * the key must be listed too, and no update may return the item's other attributes.
 */
export function allowAttributeUpdates(fn: IFunction, table: ITableV2, attributes: readonly string[]): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
        // A transaction's item carries no ReturnValues; a plain UpdateItem must not ask for more than it changed.
        StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
      },
    }),
  );
}

/**
 * Lets the function call these actions only on the table's items whose partition key starts with one of these
 * prefixes (DynamoDB's fine-grained access control, dynamodb:LeadingKeys): a table that holds several kinds of item
 * (notifications, claims, receipts, idempotency keys), of which the function writes a few.
 */
export function allowTableActionsOnKeys(
  fn: IFunction,
  table: ITableV2,
  keyPrefixes: readonly string[],
  ...actions: TableAction[]
): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keyPrefixes.map((prefix) => `${prefix}*`) } },
    }),
  );
}
