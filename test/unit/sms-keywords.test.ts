import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inboundKeyword } from '../../lambdas/channels/sms/keywords.js';

/** What a text of this body asks for, with no OptOutType from Twilio. */
const keywordRequest = (body: string) => inboundKeyword({ Body: body })?.request;

describe('SMS keywords', () => {
  it.each(['STOP', 'stop', 'StOp', ' STOP ', 'STOPALL', 'unsubscribe', 'Cancel', 'end', 'QUIT', 'stop.', 'Stop!'])(
    '"%s" opts out',
    (body) => {
      expect(keywordRequest(body)).toBe('opt_out');
    },
  );

  it.each(['START', 'yes', 'Unstop'])('"%s" opts back in', (body) => {
    expect(keywordRequest(body)).toBe('opt_in');
  });

  it.each(['HELP', 'info'])('"%s" asks for help', (body) => {
    expect(keywordRequest(body)).toBe('help');
  });

  it.each(['STOP PLEASE', 'please stop', 'stopp', 'S T O P', '', 'constructor', 'toString', '__proto__'])(
    '"%s" is an ordinary message',
    (body) => {
      expect(keywordRequest(body)).toBeUndefined();
    },
  );

  it('never takes a message with anything besides the keyword for one', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((text) => /[a-z0-9]/i.test(text)),
        (extra) => {
          expect(keywordRequest(`STOP ${extra}`)).toBeUndefined();
        },
      ),
    );
  });
});

describe("an inbound text's keyword", () => {
  it('is the word as Twilio lists it, whatever the case typed', () => {
    expect(inboundKeyword({ Body: ' stop. ' })).toEqual({ word: 'STOP', request: 'opt_out' });
    expect(inboundKeyword({ Body: 'Unstop' })).toEqual({ word: 'UNSTOP', request: 'opt_in' });
  });

  it("believes Twilio's OptOutType, which knows the service's own keywords", () => {
    expect(inboundKeyword({ Body: 'ARRET', OptOutType: 'STOP' })).toEqual({ word: 'STOP', request: 'opt_out' });
    expect(inboundKeyword({ Body: 'quit', OptOutType: 'STOP' })).toEqual({ word: 'QUIT', request: 'opt_out' });
    expect(inboundKeyword({ Body: 'oui', OptOutType: 'start' })).toEqual({ word: 'START', request: 'opt_in' });
    expect(inboundKeyword({ Body: 'aide', OptOutType: 'HELP' })).toEqual({ word: 'HELP', request: 'help' });
  });

  it('ignores an OptOutType Twilio does not define, and reads the text instead', () => {
    expect(inboundKeyword({ Body: 'hello', OptOutType: 'MAYBE' })).toBeUndefined();
    expect(inboundKeyword({ Body: 'STOP', OptOutType: 'constructor' })).toEqual({ word: 'STOP', request: 'opt_out' });
  });

  it('is none for an ordinary text or none at all', () => {
    expect(inboundKeyword({ Body: 'Thanks, got it' })).toBeUndefined();
    expect(inboundKeyword({})).toBeUndefined();
  });
});
