import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ConsentGrant,
  DEFAULT_LINK_LIFETIMES,
  isTokenBoundValue,
  linkPower,
  signConsentToken,
  tokenBoundValue,
  verifyConsentToken,
} from '../../lambdas/shared/domain/consent-token.js';
import { linkLifetimes } from '../../lambdas/shared/platform/consent-keys.js';

const grant: ConsentGrant = { userId: 'ada', category: 'marketing', channel: 'email', issuedAt: 1_795_000_000 };
const keys = { current: 'key-2026-11' };

describe('consent tokens', () => {
  it('carry the grant they were signed with', () => {
    expect(verifyConsentToken(signConsentToken(grant, keys), keys)).toEqual(grant);
  });

  it('are accepted with the previous key during a rotation, and refused once it is dropped', () => {
    const old = signConsentToken(grant, { current: 'key-2026-10' });
    const rotated = { current: 'key-2026-11', previous: 'key-2026-10' };

    expect(verifyConsentToken(old, rotated)).toEqual(grant);
    expect(verifyConsentToken(old, { current: 'key-2026-11' })).toBeUndefined();
    // New tokens are signed with the current key.
    expect(verifyConsentToken(signConsentToken(grant, rotated), { current: 'key-2026-11' })).toEqual(grant);
  });

  it('refuses a token signed with another key (a foreign one)', () => {
    expect(verifyConsentToken(signConsentToken(grant, { current: 'someone-elses' }), keys)).toBeUndefined();
  });

  it('refuses every truncation of a token', () => {
    const token = signConsentToken(grant, keys);
    for (let length = 0; length < token.length; length++)
      expect(verifyConsentToken(token.slice(0, length), keys)).toBeUndefined();
  });

  it('refuses a token with any one character changed', () => {
    const token = signConsentToken(grant, keys);
    fc.assert(
      fc.property(
        fc.nat(token.length - 1),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
        (at, character) => {
          fc.pre(token[at] !== character);
          const changed = `${token.slice(0, at)}${character}${token.slice(at + 1)}`;
          // A changed character may decode to the same bytes (base64url's last character has spare bits).
          const verified = verifyConsentToken(changed, keys);
          if (verified)
            expect(Buffer.from(changed.split('.')[2] ?? '', 'base64url')).toEqual(
              Buffer.from(token.split('.')[2] ?? '', 'base64url'),
            );
        },
      ),
    );
  });

  it('refuses a payload re-signed for another person without the key, and garbage', () => {
    const [version, , signature] = signConsentToken(grant, keys).split('.');
    const eve = Buffer.from(JSON.stringify({ u: 'eve', c: 'marketing', ch: 'email', iat: 1 })).toString('base64url');

    expect(verifyConsentToken(`${version}.${eve}.${signature}`, keys)).toBeUndefined();
    for (const garbage of ['', '.', 'v1..', 'v2.a.b', 'v1.a.b.c', 'x'.repeat(10_000)])
      expect(verifyConsentToken(garbage, keys)).toBeUndefined();
  });

  it('binds a value (the form’s CSRF field) to one token', () => {
    const token = signConsentToken(grant, keys);
    const other = signConsentToken({ ...grant, userId: 'grace' }, keys);
    const value = tokenBoundValue(token, 'csrf', keys);

    expect(isTokenBoundValue(value, token, 'csrf', keys)).toBe(true);
    expect(isTokenBoundValue(value, other, 'csrf', keys)).toBe(false);
    expect(isTokenBoundValue(value, token, 'other-purpose', keys)).toBe(false);
    expect(isTokenBoundValue('', token, 'csrf', keys)).toBe(false);
  });
});

describe('what a valid link may still do (linkPower)', () => {
  const DAY = 24 * 3600;
  const lifetimes = { changeAnythingSeconds: 30 * DAY, unsubscribeSeconds: 365 * DAY };
  const issued = { ...grant, generation: 'gen-1' };
  const person = { generation: 'gen-1' };
  const at = (days: number) => grant.issuedAt + days * DAY;

  it('changes anything while young, only unsubscribes when old, and nothing once expired', () => {
    expect(linkPower(issued, person, at(0), lifetimes)).toBe('any');
    expect(linkPower(issued, person, at(30), lifetimes)).toBe('any');
    expect(linkPower(issued, person, at(31), lifetimes)).toBe('unsubscribe');
    expect(linkPower(issued, person, at(365), lifetimes)).toBe('unsubscribe');
    expect(linkPower(issued, person, at(366), lifetimes)).toBe('expired');
  });

  it('refuses a token issued at the epoch, or in the future beyond the clocks’ drift', () => {
    expect(linkPower({ ...issued, issuedAt: 0 }, person, at(0), lifetimes)).toBe('expired');
    expect(linkPower(issued, person, grant.issuedAt - 3600, lifetimes)).toBe('expired');
    expect(linkPower(issued, person, grant.issuedAt - 60, lifetimes)).toBe('any');
  });

  it('does nothing for a person erased and made again under the same id (another generation)', () => {
    expect(linkPower(issued, { generation: 'gen-2' }, at(0), lifetimes)).toBe('superseded');
    expect(linkPower(issued, {}, at(0), lifetimes)).toBe('superseded');
  });

  it('lets a link of an earlier release, which has no generation, only unsubscribe', () => {
    expect(linkPower(grant, person, at(0), lifetimes)).toBe('unsubscribe');
  });

  it('carries the generation it was signed with', () => {
    expect(verifyConsentToken(signConsentToken(issued, keys), keys)).toEqual(issued);
  });
});

describe("the links' lifetimes as the consent function reads them (LINK_LIFETIMES)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('are the defaults without the variable, and what platform.config.ts set with it', () => {
    vi.stubEnv('LINK_LIFETIMES', '');
    expect(linkLifetimes()).toEqual(DEFAULT_LINK_LIFETIMES);

    vi.stubEnv(
      'LINK_LIFETIMES',
      JSON.stringify({ change_anything_seconds: 7 * 86_400, unsubscribe_seconds: 90 * 86_400 }),
    );
    const lifetimes = linkLifetimes();
    const young = { ...grant, generation: 'g1' };

    expect(linkPower(young, { generation: 'g1' }, grant.issuedAt + 8 * 86_400, lifetimes)).toBe('unsubscribe');
    expect(linkPower(young, { generation: 'g1' }, grant.issuedAt + 91 * 86_400, lifetimes)).toBe('expired');
  });

  it('refuses a variable that is not two positive whole numbers of seconds', () => {
    vi.stubEnv('LINK_LIFETIMES', JSON.stringify({ change_anything_seconds: -1, unsubscribe_seconds: 90 }));
    expect(() => linkLifetimes()).toThrow(/change_anything_seconds/);
  });
});
