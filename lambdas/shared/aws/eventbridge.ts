import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tracer } from '../observability.js';
import { awsClientDefaults } from './client-defaults.js';

export const eventBridgeClient = tracer.captureAWSv3Client(new EventBridgeClient(awsClientDefaults));
