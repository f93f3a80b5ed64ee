import { SESClient } from '@aws-sdk/client-ses';
import { sendingClientDefaults } from '../../shared/aws/client-defaults.js';
import { tracer } from '../../shared/observability.js';

/** Sends email, and nothing else: one attempt per call (see sendingClientDefaults). */
export const sesClient = tracer.captureAWSv3Client(new SESClient(sendingClientDefaults));
