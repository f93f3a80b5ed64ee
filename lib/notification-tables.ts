import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  type KeyAttribute,
  TABLES,
  type TableDefinition,
  type TableKey,
} from '../lambdas/shared/platform/resources.js';

export interface NotificationTablesProps {
  /**
   * Keep the tables when the stack is deleted and refuse their deletion through the API.
   * Turn off only for throwaway stacks (a developer's sandbox, a LocalStack deploy).
   * @default true
   */
  readonly protectData?: boolean;
}

/**
 * The platform's DynamoDB tables, as TABLES in lambdas/shared/platform/resources.ts describes them:
 * on demand, encrypted at rest, with point-in-time recovery.
 */
export class NotificationTables extends Construct {
  public readonly users: dynamodb.TableV2;
  public readonly devices: dynamodb.TableV2;
  public readonly notifications: dynamodb.TableV2;
  public readonly templates: dynamodb.TableV2;
  public readonly suppressions: dynamodb.TableV2;
  public readonly topics: dynamodb.TableV2;
  public readonly webhooks: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: NotificationTablesProps = {}) {
    super(scope, id);
    const protectData = props.protectData ?? true;
    const table = (key: TableKey, constructId: string): dynamodb.TableV2 => {
      const definition: TableDefinition = TABLES[key];
      return new dynamodb.TableV2(this, constructId, {
        partitionKey: attribute(definition.partitionKey),
        sortKey: definition.sortKey && attribute(definition.sortKey),
        timeToLiveAttribute: definition.timeToLiveAttribute,
        globalSecondaryIndexes: definition.indexes?.map((index) => ({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey && attribute(index.sortKey),
          projectionType: dynamodb.ProjectionType.KEYS_ONLY,
        })),
        dynamoStream: definition.stream && dynamodb.StreamViewType[definition.stream],
        billing: dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: protectData,
        removalPolicy: protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
    };
    this.users = table('users', 'Users');
    this.devices = table('devices', 'Devices');
    this.notifications = table('notifications', 'Notifications');
    this.templates = table('templates', 'Templates');
    this.suppressions = table('suppressions', 'Suppressions');
    this.topics = table('topics', 'Topics');
    this.webhooks = table('webhooks', 'Webhooks');
  }
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  };
}
