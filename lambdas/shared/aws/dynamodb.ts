import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../observability.js';
import { awsClientDefaults } from './client-defaults.js';

/** Items in, items out: undefined attributes are left out rather than refused. */
export const documentClient = DynamoDBDocument.from(tracer.captureAWSv3Client(new DynamoDBClient(awsClientDefaults)), {
  marshallOptions: { removeUndefinedValues: true },
});
