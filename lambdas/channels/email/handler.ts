import { channelWorkerHandler } from '../../shared/delivery/worker-handler.js';
import { optionalEnv, requiredEnv } from '../../shared/platform/environment.js';
import { templateRenderer } from '../../shared/templates/bounded-renderer.js';
import { EMAIL_VARIABLES } from './channel.js';
import { EmailDeliverer } from './deliverer.js';
import { EmailSender } from './sender.js';
import { sesClient } from './ses-client.js';

/** Consumes the email queue and delivers through SES. */
export const handler = channelWorkerHandler(
  new EmailDeliverer(
    new EmailSender(sesClient, requiredEnv(EMAIL_VARIABLES.sender), optionalEnv(EMAIL_VARIABLES.configurationSet)),
    templateRenderer,
  ),
  [sesClient],
);
