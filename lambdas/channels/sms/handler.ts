import { UsersStore } from '../../shared/adapters/users-store.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { channelWorkerHandler } from '../../shared/delivery/worker-handler.js';
import { categoryOf } from '../../shared/domain/categories.js';
import { languageOf } from '../../shared/domain/language.js';
import { categoryCatalogue } from '../../shared/platform/category-catalogue.js';
import { ENV, requiredEnv } from '../../shared/platform/environment.js';
import { templateRenderer } from '../../shared/templates/bounded-renderer.js';
import { wordIn } from './channel.js';
import { SmsDeliverer } from './deliverer.js';
import { SmsSender } from './sender.js';
import { loadTwilioSettings, reloadTwilioSettings, type TwilioSettings } from './twilio-settings.js';
import { smsWordingFromEnv } from './wording.js';

let built: { readonly settings: TwilioSettings; readonly sender: SmsSender } | undefined;

/** One sender per credentials: built again only when they change (a rotation). */
function senderFor(settings: TwilioSettings): SmsSender {
  if (built?.settings !== settings) built = { settings, sender: new SmsSender(settings) };
  return built.sender;
}

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const wording = smsWordingFromEnv();

/**
 * Consumes the SMS queue and delivers through Twilio; a text of a category the person may leave ends with the opt-out
 * line, if the settings give one.
 */
export const handler = channelWorkerHandler(
  new SmsDeliverer(
    {
      current: async () => senderFor(await loadTwilioSettings()),
      afterAuthFailure: async () => {
        const before = built?.settings;
        const fresh = await reloadTwilioSettings();
        return fresh && fresh.auth_token !== before?.auth_token ? senderFor(fresh) : undefined;
      },
    },
    templateRenderer,
    (userId) =>
      users.switchChannel(userId, 'sms', { on: false, source: 'provider_unsubscribed', at: new Date().toISOString() }),
    (user, template) => {
      const catalogue = categoryCatalogue();
      if (catalogue.categories[categoryOf(template, catalogue)]?.required !== false) return undefined;
      return wordIn(wording.optOutLine, languageOf(user.locale));
    },
  ),
);
