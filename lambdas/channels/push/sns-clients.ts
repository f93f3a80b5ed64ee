import { SNSClient } from '@aws-sdk/client-sns';
import { awsClientDefaults, sendingClientDefaults } from '../../shared/aws/client-defaults.js';
import { tracer } from '../../shared/observability.js';

/** Endpoint management (create, read, delete): safe to retry. */
export const snsClient = tracer.captureAWSv3Client(new SNSClient(awsClientDefaults));
/** Publishing to devices: one attempt per call, since a retried Publish may reach the phone twice. */
export const pushClient = tracer.captureAWSv3Client(new SNSClient(sendingClientDefaults));
