import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '../observability.js';
import { awsClientDefaults } from './client-defaults.js';

export const snsClient = tracer.captureAWSv3Client(new SNSClient(awsClientDefaults));
