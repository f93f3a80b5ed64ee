/**
 * What a text may hold: Twilio refuses a body over 1,600 characters (21617), counted here as JavaScript counts them
 * (UTF-16 code units: an emoji is two), which is never fewer than Twilio counts. A text is never cut to fit: cut
 * silently it could lose its point, or the opt-out line carriers require. Pure.
 */
export const MAX_SMS_BODY_CHARACTERS = 1_600;

/** The text as sent: the body, then the opt-out line on a line of its own when there is one. */
export function smsText(body: string, optOutLine: string | undefined): string {
  return optOutLine ? `${body}\n${optOutLine}` : body;
}

/** Why the text cannot be sent as it is, or undefined when it fits. */
export function smsBudgetProblem(body: string, optOutLine: string | undefined): string | undefined {
  const length = smsText(body, optOutLine).length;
  if (length <= MAX_SMS_BODY_CHARACTERS) return undefined;
  return optOutLine && body.length <= MAX_SMS_BODY_CHARACTERS
    ? `is ${body.length} characters, and with the opt-out line ${length}: more than the ${MAX_SMS_BODY_CHARACTERS} a text may have`
    : `is ${body.length} characters: more than the ${MAX_SMS_BODY_CHARACTERS} a text may have`;
}
