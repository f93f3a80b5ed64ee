import { SESClient } from '@aws-sdk/client-ses';
import { tracer } from '../observability.js';
import { awsClientDefaults } from './client-defaults.js';

export const sesClient = tracer.captureAWSv3Client(new SESClient(awsClientDefaults));
