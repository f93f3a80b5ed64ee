import { twilioMessages } from './twilio-messages.js';
import { statusCallbackUrl, type TwilioSettings } from './twilio-settings.js';

/** Sends one SMS through Twilio's Messages API; answers Twilio's message sid. */
export class SmsSender {
  private readonly messages: ReturnType<typeof twilioMessages>;

  constructor(private readonly settings: TwilioSettings) {
    this.messages = twilioMessages(settings);
  }

  async send(to: string, body: string, notificationId: string): Promise<string> {
    const message = await this.messages.create({
      to,
      body,
      // The notification's id rides in the callback's URL, which Twilio signs with the rest.
      ...(this.settings.status_callback_url
        ? { statusCallback: statusCallbackUrl(this.settings.status_callback_url, notificationId) }
        : {}),
      ...(this.settings.messaging_service_sid
        ? { messagingServiceSid: this.settings.messaging_service_sid }
        : { from: this.settings.from_number }),
    });
    return message.sid;
  }
}
