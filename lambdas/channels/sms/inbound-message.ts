/**
 * A text sent to the platform's number: STOP (and Twilio's other opt-out keywords) turns SMS off for everyone whose
 * number it came from, START undoes that STOP (and nothing more: a person who turned SMS off elsewhere stays off), HELP
 * is answered with the configured help text unless Twilio's Advanced Opt-Out answered it already; any other message is
 * not the platform's to answer. Twilio blocks a number that texted STOP by itself and confirms it to the person, so
 * the answer to STOP and START is an empty reply: a second confirmation would be one text too many.
 */
import type { SwitchChange, UsersStore } from '../../shared/adapters/users-store.js';
import { languageOf } from '../../shared/domain/language.js';
import { type SmsWording, wordIn } from './channel.js';
import { inboundKeyword, type Keyword } from './keywords.js';
import { twimlReply } from './twiml.js';

export interface InboundText {
  readonly From?: string;
  readonly Body?: string;
  readonly OptOutType?: string;
}

export interface InboundAnswer {
  /** The TwiML to answer Twilio with. */
  readonly twiml: string;
  /** The keyword, when the text was one. */
  readonly keyword?: Keyword;
  /** How many people's SMS switch it turned. */
  readonly switched: number;
}

export async function answerInboundText(
  text: InboundText,
  users: Pick<UsersStore, 'userIdsWithPhoneNumber' | 'switchChannel' | 'findFresh'>,
  settings: { readonly wording: SmsWording; readonly at: string },
): Promise<InboundAnswer> {
  const keyword = inboundKeyword(text);
  if (!keyword) return { twiml: twimlReply(), switched: 0 };
  const userIds = text.From ? await users.userIdsWithPhoneNumber(text.From) : [];
  if (keyword.request === 'help') {
    // Advanced Opt-Out answered HELP with the service's own help text already: a second answer is one text too many.
    if (text.OptOutType?.toUpperCase() === 'HELP') return { twiml: twimlReply(), keyword, switched: 0 };
    // In the language of the number's person, where the settings give one.
    const person = userIds[0] ? await users.findFresh(userIds[0]) : undefined;
    const helpText = wordIn(settings.wording.helpText, languageOf(person?.locale)) ?? settings.wording.helpText.en;
    return { twiml: twimlReply(helpText), keyword, switched: 0 };
  }
  const change: SwitchChange = {
    on: keyword.request === 'opt_in',
    source: 'sms_keyword',
    keyword: keyword.word,
    at: settings.at,
  };
  const switched = await Promise.all(userIds.map((userId) => users.switchChannel(userId, 'sms', change)));
  return { twiml: twimlReply(), keyword, switched: switched.filter(Boolean).length };
}
