import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../observability.js';
import { awsClientDefaults } from './client-defaults.js';

export const sqsClient = tracer.captureAWSv3Client(new SQSClient(awsClientDefaults));
