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

/** A keyword texted, and what it asks for. */
export interface Keyword {
  /** The keyword as Twilio lists it, e.g. STOP: safe to record and log, unlike the message. */
  readonly word: string;
  readonly request: KeywordRequest;
}

function keywordOf(body: string): Keyword | undefined {
  const word = body
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase();
  return Object.hasOwn(KEYWORDS, word) ? { word, request: KEYWORDS[word] as KeywordRequest } : undefined;
}

/** Twilio's own reading of a keyword, sent as OptOutType when the number's Messaging Service has Advanced Opt-Out. */
const OPT_OUT_TYPES: Readonly<Record<string, KeywordRequest>> = { STOP: 'opt_out', START: 'opt_in', HELP: 'help' };

/**
 * What an inbound text asks for: Twilio's OptOutType when it sent one (it knows the service's own keywords), the
 * body's keyword otherwise; undefined for an ordinary message.
 */
export function inboundKeyword(parameters: {
  readonly Body?: string;
  readonly OptOutType?: string;
}): Keyword | undefined {
  const texted = keywordOf(parameters.Body ?? '');
  const byTwilio = parameters.OptOutType?.toUpperCase();
  if (byTwilio && Object.hasOwn(OPT_OUT_TYPES, byTwilio)) {
    const request = OPT_OUT_TYPES[byTwilio] as KeywordRequest;
    // The service may have keywords of its own ("ARRET"): the word is the text's when it says the same.
    return { word: texted?.request === request ? texted.word : byTwilio, request };
  }
  return texted;
}
