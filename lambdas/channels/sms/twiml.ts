/**
 * Answers to Twilio's incoming-message webhook are TwiML. Written by the twilio package's own MessagingResponse (its
 * xmlbuilder escapes the text), not by hand.
 */
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse.js';

/** TwiML that replies with `text`, or sends nothing back when there is none. */
export function twimlReply(text?: string): string {
  const response = new MessagingResponse();
  if (text) response.message(text);
  return response.toString();
}
