import { SESClient } from '@aws-sdk/client-ses';
import { tracer } from '../observability.js';
import { sendingClientDefaults } from './client-defaults.js';

/** Sends email, and nothing else: one attempt per call (see sendingClientDefaults). */
export const sesClient = tracer.captureAWSv3Client(new SESClient(sendingClientDefaults));
