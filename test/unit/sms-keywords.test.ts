import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keywordRequest } from '../../lambdas/channels/sms/keywords.js';

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
