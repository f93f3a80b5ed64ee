import { EmailSender } from '../shared/adapters/email-sender.js';
import { sesClient } from '../shared/aws/ses.js';
import { EmailDeliverer } from '../shared/delivery/email-deliverer.js';
import { channelWorkerHandler } from '../shared/delivery/worker-handler.js';
import { ENV, optionalEnv, requiredEnv } from '../shared/environment.js';
import { templateRenderer } from '../shared/templates/bounded-renderer.js';

/** Consumes the email queue and delivers through SES. */
export const handler = channelWorkerHandler(
  new EmailDeliverer(
    new EmailSender(sesClient, requiredEnv(ENV.sesSender), optionalEnv(ENV.sesConfigurationSet)),
    templateRenderer,
  ),
);
