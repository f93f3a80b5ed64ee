import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  preferencesOf,
  reachabilityOf,
  UsersStore,
  unsubscribesOf,
} from '../../../lambdas/shared/adapters/users-store.js';
import { awsClientDefaults } from '../../../lambdas/shared/aws/client-defaults.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../../../lambdas/shared/domain/preferences.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let table: string;
let users: UsersStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('users-store');
  table = platform.resources.tables.users;
  users = new UsersStore(table, documentClient);
});
afterAll(() => platform.remove());

const newUser = () => `user-${randomUUID()}`;
const AT = '2030-01-01T11:00:00.000Z';
const preferences: Preferences = {
  ...DEFAULT_PREFERENCES,
  sms: false,
  quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Berlin', channels: ['sms'] },
};

describe('reads', () => {
  it('answers undefined for a user never seen, whom the defaults then describe', async () => {
    const userId = newUser();

    const [cached, fresh] = await Promise.all([users.find(userId), users.findFresh(userId)]);

    expect([cached, fresh]).toEqual([undefined, undefined]);
    expect(preferencesOf(fresh)).toEqual(DEFAULT_PREFERENCES);
    expect(reachabilityOf(fresh).deviceCount).toBe(0);
  });

  it('reads through the read client (DAX when deployed) on the hot path, and through the table otherwise', async () => {
    // Prepare: a read client of its own that counts what it is asked
    const readCommands: { command?: string; consistent?: boolean }[] = [];
    const readClient = DynamoDBDocument.from(new DynamoDBClient(awsClientDefaults));
    readClient.middlewareStack.add(
      (next, context) => async (args) => {
        const { ConsistentRead } = (args as { input: { ConsistentRead?: boolean } }).input;
        readCommands.push({ command: context.commandName, consistent: ConsistentRead });
        return next(args);
      },
      { step: 'initialize', name: 'countReads' },
    );
    const split = new UsersStore(table, documentClient, readClient);
    const userId = newUser();
    await split.replaceContacts(userId, { email_address: 'ada@example.com' });

    // Act
    const cached = await split.find(userId);
    const fresh = await split.findFresh(userId);

    // Assess
    expect(readCommands).toEqual([{ command: 'GetItemCommand', consistent: undefined }]);
    expect(cached?.email_address).toBe('ada@example.com');
    expect(fresh?.email_address).toBe('ada@example.com');
  });

  it("reads the ids of a person's devices back as a set, which reachability counts", async () => {
    const userId = newUser();
    await documentClient.put({ TableName: table, Item: { user_id: userId, device_ids: new Set(['d1', 'd2']) } });

    const user = await users.findFresh(userId);

    expect(user?.device_ids).toEqual(new Set(['d1', 'd2']));
    expect(reachabilityOf(user).deviceCount).toBe(2);
  });
});

describe('savePreferences', () => {
  it('stores the preferences whole and stamps the write', async () => {
    const userId = newUser();

    const stored = await users.savePreferences(userId, preferences, AT);

    const user = await users.findFresh(userId);
    expect(user?.preferences).toEqual(preferences);
    expect(stored.preferences).toEqual(preferences);
    expect(preferencesOf(user)).toEqual(preferences);
    expect(user?.updated_at).toBe(AT);
  });

  it('leaves the contacts as they were', async () => {
    const userId = newUser();
    await users.replaceContacts(userId, { email_address: 'ada@example.com', locale: 'de-DE' });

    await users.savePreferences(userId, preferences, AT);

    expect(await users.findFresh(userId)).toMatchObject({
      email_address: 'ada@example.com',
      locale: 'de-DE',
      preferences,
    });
  });

  it('leaves the choices per category as they are when it is sent none', async () => {
    const userId = newUser();
    await users.savePreferences(userId, { ...preferences, categories: { orders: { sms: false } } }, AT);

    const { categories: _left, ...seed } = preferences;
    const stored = await users.savePreferences(userId, { ...seed, email: false }, AT);

    expect(stored.preferences.categories).toEqual({ orders: { sms: false } });
    expect(preferencesOf(await users.findFresh(userId))).toMatchObject({
      email: false,
      categories: { orders: { sms: false } },
    });
  });

  it("keeps off what the person turned off themselves, whatever the producer's categories say", async () => {
    const userId = newUser();
    await users.replaceContacts(userId, { email_address: 'ada@example.com' });
    await users.unsubscribe(userId, 'marketing', 'email', AT);

    const stored = await users.savePreferences(
      userId,
      { ...preferences, categories: { marketing: { email: true, sms: true } } },
      AT,
    );

    expect(stored.preferences.categories).toEqual({ marketing: { email: false, sms: true } });
    expect([...stored.unsubscribed]).toEqual(['marketing/email']);
    expect(unsubscribesOf(await users.findFresh(userId))).toEqual(new Set(['marketing/email']));
  });
});

describe("the person's own word", () => {
  it('saveOwnPreferences keeps what they turned off, and forgets what they turned back on', async () => {
    const userId = newUser();
    await users.replaceContacts(userId, { email_address: 'ada@example.com' });
    await users.unsubscribe(userId, 'marketing', 'email', AT);

    const saved = await users.saveOwnPreferences(
      userId,
      { ...preferences, categories: { marketing: { email: true, sms: false } } },
      { off: ['marketing/sms'], on: ['marketing/email'] },
      AT,
    );

    expect(saved).toBe(true);
    expect(unsubscribesOf(await users.findFresh(userId))).toEqual(new Set(['marketing/sms']));
  });

  it('writes nothing for a person who does not exist (erased since the link was sent)', async () => {
    const userId = newUser();

    expect(await users.unsubscribe(userId, 'marketing', 'email', AT)).toBe(false);
    expect(await users.saveOwnPreferences(userId, preferences, { off: [], on: [] }, AT)).toBe(false);
    expect(await users.findFresh(userId)).toBeUndefined();
  });
});

describe('linkGeneration', () => {
  it("makes the person's link generation once, and answers it again after", async () => {
    const userId = newUser();
    await users.replaceContacts(userId, { email_address: 'ada@example.com' });

    const first = await users.linkGeneration({ user_id: userId });
    const again = await users.linkGeneration({ user_id: userId });
    const read = await users.linkGeneration((await users.findFresh(userId)) ?? { user_id: userId });

    expect(first).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect([again, read]).toEqual([first, first]);
  });

  it('makes a new one for a person erased and made again under the same id, and none for no one', async () => {
    const userId = newUser();
    await users.replaceContacts(userId, { email_address: 'ada@example.com' });
    const before = await users.linkGeneration({ user_id: userId });
    await users.remove(userId);

    const erased = await users.linkGeneration({ user_id: userId });
    await users.replaceContacts(userId, { email_address: 'someone-else@example.com' });
    const after = await users.linkGeneration({ user_id: userId });

    expect(erased).toBeUndefined();
    expect(after).toEqual(expect.any(String));
    expect(after).not.toBe(before);
  });
});

describe('replaceContacts', () => {
  it('makes the contacts exactly what was sent: a field left out is removed, the preferences stay', async () => {
    // Prepare
    const userId = newUser();
    await users.savePreferences(userId, preferences, AT);
    await users.replaceContacts(userId, {
      email_address: 'ada@example.com',
      phone_number: '+4915112345678',
      locale: 'en-GB',
    });

    // Act
    await users.replaceContacts(userId, { phone_number: '+4915187654321' });

    // Assess
    const user = await users.findFresh(userId);
    expect(user).toMatchObject({ user_id: userId, phone_number: '+4915187654321', preferences });
    expect(user?.email_address).toBeUndefined();
    expect(user?.locale).toBeUndefined();
  });

  it('removes every contact when none is sent, keeping the item', async () => {
    const userId = newUser();
    await users.replaceContacts(userId, { email_address: 'ada@example.com' });

    await users.replaceContacts(userId, {});

    const user = await users.findFresh(userId);
    expect(user).toEqual({ user_id: userId, updated_at: expect.any(String) });
  });
});

describe('remove', () => {
  it("forgets the person's item: preferences, contacts and devices", async () => {
    const userId = newUser();
    await users.savePreferences(userId, preferences, AT);
    await users.replaceContacts(userId, { email_address: 'ada@example.com' });

    await users.remove(userId);

    expect(await users.findFresh(userId)).toBeUndefined();
  });

  it('succeeds for a person never seen, and does not create them', async () => {
    const userId = newUser();

    await users.remove(userId);

    expect(await users.findFresh(userId)).toBeUndefined();
  });
});

describe('userIdsWithPhoneNumber', () => {
  it('finds everyone whose phone number it is, and no one else', async () => {
    const number = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const [parent, child, other] = [newUser(), newUser(), newUser()];
    await users.replaceContacts(parent, { phone_number: number });
    await users.replaceContacts(child, { phone_number: number, email_address: 'child@example.com' });
    await users.replaceContacts(other, { phone_number: '+15550000001' });

    expect((await users.userIdsWithPhoneNumber(number)).sort()).toEqual([parent, child].sort());
    expect(await users.userIdsWithPhoneNumber('+15559999999')).toEqual([]);
  });

  it('forgets a number the person no longer has', async () => {
    const number = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const userId = newUser();
    await users.replaceContacts(userId, { phone_number: number });
    await users.replaceContacts(userId, { email_address: 'moved@example.com' });

    expect(await users.userIdsWithPhoneNumber(number)).toEqual([]);
  });
});

describe('switchChannel', () => {
  const change = { on: false, source: 'sms_keyword' as const, keyword: 'STOP', at: '2030-01-01T12:00:00.000Z' };
  const start = { ...change, on: true, keyword: 'START' };

  it('records who turned the channel off, over the master switch, which stays as it was', async () => {
    const userId = newUser();
    await users.savePreferences(userId, { ...preferences, sms: true }, AT);

    expect(await users.switchChannel(userId, 'sms', change)).toBe(true);

    const item = await users.findFresh(userId);
    expect(item?.preferences).toEqual({ ...preferences, sms: true });
    expect(item).toMatchObject({ sms_switched_by: change, updated_at: change.at });
    expect(unsubscribesOf(item)).toEqual(new Set(['sms']));
  });

  it('START undoes the STOP and nothing more: a master switch turned off elsewhere stays off', async () => {
    const [wantsTexts, turnedThemOff] = [newUser(), newUser()];
    await users.savePreferences(wantsTexts, { ...preferences, sms: true }, AT);
    await users.savePreferences(turnedThemOff, { ...preferences, sms: false }, AT);
    for (const userId of [wantsTexts, turnedThemOff]) {
      await users.switchChannel(userId, 'sms', change);
      await users.switchChannel(userId, 'sms', start);
    }

    const [on, off] = await Promise.all([users.findFresh(wantsTexts), users.findFresh(turnedThemOff)]);
    expect([unsubscribesOf(on).size, preferencesOf(on).sms]).toEqual([0, true]);
    expect([unsubscribesOf(off).size, preferencesOf(off).sms]).toEqual([0, false]);
  });

  it('START after a STOP of an earlier release (which turned the master switch off) turns it back on', async () => {
    const userId = newUser();
    await documentClient.put({
      TableName: table,
      Item: {
        user_id: userId,
        preferences: { ...preferences, sms: false },
        sms_switched_by: { on: false, source: 'sms_keyword', keyword: 'STOP', at: AT },
        updated_at: AT,
      },
    });

    await users.switchChannel(userId, 'sms', start);

    const item = await users.findFresh(userId);
    expect([unsubscribesOf(item).size, preferencesOf(item).sms]).toEqual([0, true]);
  });

  it('creates no one: false for a person who does not exist', async () => {
    const userId = newUser();

    expect(await users.switchChannel(userId, 'sms', change)).toBe(false);

    expect(await users.findFresh(userId)).toBeUndefined();
  });
});
