import { describe, expect, it, vi } from 'vitest';
import { answerInboundText } from '../../lambdas/channels/sms/inbound-message.js';
import { twimlReply } from '../../lambdas/channels/sms/twiml.js';

const AT = '2026-11-26T10:00:00.000Z';
const settings = {
  wording: {
    helpText: { en: 'Example Inc. Reply STOP to stop <any> time & more.', de: 'Beispiel AG. STOP zum Abmelden.' },
    optOutLine: {},
  },
  at: AT,
};

function usersWith(byNumber: Record<string, string[]>, locales: Record<string, string> = {}) {
  return {
    userIdsWithPhoneNumber: vi.fn(async (number: string) => byNumber[number] ?? []),
    switchChannel: vi.fn(async (_userId: string) => true),
    findFresh: vi.fn(async (userId: string) => ({ user_id: userId, locale: locales[userId] })),
  };
}

describe('a text to the platform', () => {
  it('STOP turns SMS off for everyone with that number, recording the keyword, and answers nothing', async () => {
    const users = usersWith({ '+4915112345678': ['ada', 'ada-child'] });

    const answer = await answerInboundText({ From: '+4915112345678', Body: 'Stop' }, users, settings);

    expect(answer).toEqual({
      twiml: twimlReply(),
      keyword: { word: 'STOP', request: 'opt_out' },
      switched: 2,
    });
    const change = { on: false, source: 'sms_keyword', keyword: 'STOP', at: AT };
    expect(users.switchChannel.mock.calls).toEqual([
      ['ada', 'sms', change],
      ['ada-child', 'sms', change],
    ]);
  });

  it('START turns it back on', async () => {
    const users = usersWith({ '+4915112345678': ['ada'] });

    await answerInboundText({ From: '+4915112345678', Body: 'yes' }, users, settings);

    expect(users.switchChannel).toHaveBeenCalledWith('ada', 'sms', {
      on: true,
      source: 'sms_keyword',
      keyword: 'YES',
      at: AT,
    });
  });

  it('STOP from a number no one has changes nothing and still answers', async () => {
    const users = usersWith({});

    const answer = await answerInboundText({ From: '+15550000000', Body: 'STOP' }, users, settings);

    expect(answer.switched).toBe(0);
    expect(users.switchChannel).not.toHaveBeenCalled();
  });

  it('counts only the people whose switch was turned (one erased meanwhile is not)', async () => {
    const users = usersWith({ '+4915112345678': ['ada', 'gone'] });
    users.switchChannel.mockImplementation(async (userId: string) => userId !== 'gone');

    expect((await answerInboundText({ From: '+4915112345678', Body: 'STOP' }, users, settings)).switched).toBe(1);
  });

  it('HELP is answered with the help text, escaped as XML, and switches nothing', async () => {
    const users = usersWith({ '+4915112345678': ['ada'] });

    const answer = await answerInboundText({ From: '+4915112345678', Body: 'HELP' }, users, settings);

    expect(answer.twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Example Inc. Reply STOP to stop &lt;any&gt; time &amp; more.</Message></Response>',
    );
    expect(users.switchChannel).not.toHaveBeenCalled();
  });

  it("HELP is answered in the number's person's language, where the settings give one", async () => {
    const users = usersWith({ '+4915112345678': ['ada'] }, { ada: 'de-AT' });

    const answer = await answerInboundText({ From: '+4915112345678', Body: 'help' }, users, settings);

    expect(answer.twiml).toContain('<Message>Beispiel AG. STOP zum Abmelden.</Message>');
  });

  it('an ordinary text is not the platform to answer: an empty reply, nothing looked up', async () => {
    const users = usersWith({ '+4915112345678': ['ada'] });

    const answer = await answerInboundText({ From: '+4915112345678', Body: 'Where is my order?' }, users, settings);

    expect(answer).toEqual({ twiml: '<?xml version="1.0" encoding="UTF-8"?><Response/>', switched: 0 });
    expect(users.userIdsWithPhoneNumber).not.toHaveBeenCalled();
  });

  it('a keyword without a sender switches no one', async () => {
    const users = usersWith({});

    expect((await answerInboundText({ Body: 'STOP' }, users, settings)).switched).toBe(0);
    expect(users.userIdsWithPhoneNumber).not.toHaveBeenCalled();
  });
});
