/**
 * What a text sent to the platform's number asks for, by Twilio's keywords
 * (https://help.twilio.com/articles/223134027): opting out, opting back in, or help. The whole message must be the
 * keyword, in any case ("STOP PLEASE" is not one); whitespace around it, and a full stop or exclamation mark after
 * it, are forgiven, as people type them and carriers pass them on.
 */
export type KeywordRequest = 'opt_out' | 'opt_in' | 'help';

const KEYWORDS: Readonly<Record<string, KeywordRequest>> = {
  STOP: 'opt_out',
  STOPALL: 'opt_out',
  UNSUBSCRIBE: 'opt_out',
  CANCEL: 'opt_out',
  END: 'opt_out',
  QUIT: 'opt_out',
  START: 'opt_in',
  YES: 'opt_in',
  UNSTOP: 'opt_in',
  HELP: 'help',
  INFO: 'help',
};

/** The request a message makes, or undefined for an ordinary message. */
export function keywordRequest(body: string): KeywordRequest | undefined {
  const word = body
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase();
  return Object.hasOwn(KEYWORDS, word) ? KEYWORDS[word] : undefined;
}
