import { randomBytes } from 'node:crypto';
import { UsersStore } from '../../shared/adapters/users-store.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { channelWorkerHandler } from '../../shared/delivery/worker-handler.js';
import { categoryOf } from '../../shared/domain/categories.js';
import { signConsentToken } from '../../shared/domain/consent-token.js';
import { languageOf } from '../../shared/domain/language.js';
import { categoryCatalogue } from '../../shared/platform/category-catalogue.js';
import { consentKeys } from '../../shared/platform/consent-keys.js';
import { ENV, optionalEnv, requiredEnv } from '../../shared/platform/environment.js';
import { OPERATIONS } from '../../shared/platform/operations.js';
import { templateRenderer } from '../../shared/templates/bounded-renderer.js';
import { EMAIL_VARIABLES } from './channel.js';
import { EmailDeliverer } from './deliverer.js';
import { EmailSender } from './sender.js';
import { sesClient } from './ses-client.js';

const publicApiUrl = requiredEnv(ENV.publicApiUrl);
const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const mailto = optionalEnv(EMAIL_VARIABLES.unsubscribeMailto);

/** Consumes the email queue and delivers through SES; an email a person may leave carries its unsubscribe links. */
export const handler = channelWorkerHandler(
  new EmailDeliverer(
    new EmailSender(sesClient, requiredEnv(EMAIL_VARIABLES.sender), optionalEnv(EMAIL_VARIABLES.configurationSet)),
    templateRenderer,
    async (user, template) => {
      const catalogue = categoryCatalogue();
      const name = categoryOf(template, catalogue);
      const category = catalogue.categories[name];
      if (!category || category.required) return undefined;
      // A person erased since the job was queued gets a generation that matches nothing: the links answer 410.
      const generation = (await users.linkGeneration(user)) ?? randomBytes(12).toString('base64url');
      const token = signConsentToken(
        { userId: user.user_id, category: name, channel: 'email', issuedAt: Math.floor(Date.now() / 1000), generation },
        await consentKeys.value(),
      );
      return {
        oneClick: `${publicApiUrl}${OPERATIONS.unsubscribe.path.replace('{token}', token)}`,
        page: `${publicApiUrl}${OPERATIONS.getPreferencePage.path.replace('{token}', token)}`,
        ...(mailto ? { mailto } : {}),
        categoryLabel: category.labels[languageOf(user.locale)] ?? category.label,
        language: languageOf(user.locale),
      };
    },
  ),
  [sesClient],
);
