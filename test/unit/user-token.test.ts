import { randomBytes } from 'node:crypto';
import * as client from '@notification-platform/client';
import { mintUserToken } from '@notification-platform/client';
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_USER_TOKEN_SECONDS,
  STACK_TOKEN_ISSUER,
  teamKeyProblems,
  USER_TOKEN_AUDIENCE,
  type UserTokenKeys,
  UserTokenRefused,
  verifyUserToken,
} from '../../lambdas/shared/domain/user-token.js';

const NOW = new Date('2026-12-08T10:00:00.000Z');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const current = { kid: 'stack-2', secret: randomBytes(32) };
const previous = { kid: 'stack-1', secret: randomBytes(32) };

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let teamPrivate: PrivateKey;
let teamPublic: JWK;
let edPrivate: PrivateKey;
let keys: UserTokenKeys;

beforeAll(async () => {
  const es = await generateKeyPair('ES256');
  const ed = await generateKeyPair('Ed25519');
  teamPrivate = es.privateKey;
  edPrivate = ed.privateKey;
  teamPublic = { ...(await exportJWK(es.publicKey)), kid: 'team-es', alg: 'ES256', use: 'sig' };
  const edPublic = { ...(await exportJWK(ed.publicKey)), kid: 'team-ed', alg: 'Ed25519', use: 'sig' };
  keys = { stack: { current, previous }, team: [teamPublic, edPublic] };
});

/** A token as a team's backend would mint one, with its own key pair. */
function teamToken(
  claims: { sub?: string; aud?: string; iat?: number; exp?: number },
  kid = 'team-es',
  key?: PrivateKey,
) {
  const alg = kid === 'team-ed' ? 'Ed25519' : 'ES256';
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg, kid })
    .sign(key ?? (kid === 'team-ed' ? edPrivate : teamPrivate));
}

async function refusal(token: string, at: Date = NOW): Promise<string> {
  const error = await verifyUserToken(token, keys, at).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(UserTokenRefused);
  return (error as UserTokenRefused).reason;
}

const valid = { sub: 'ada', aud: USER_TOKEN_AUDIENCE, iat: seconds(NOW), exp: seconds(NOW) + 600 };

describe("a person's token", () => {
  it('is minted by the typed client with the claims the platform checks', () => {
    expect([client.USER_TOKEN_AUDIENCE, client.STACK_TOKEN_ISSUER, client.MAX_USER_TOKEN_SECONDS]).toEqual([
      USER_TOKEN_AUDIENCE,
      STACK_TOKEN_ISSUER,
      MAX_USER_TOKEN_SECONDS,
    ]);
  });

  it("is minted with the stack's current secret and verified, for that person and until its expiry", async () => {
    const token = await mintUserToken('ada', current, { lifetimeSeconds: 900, now: NOW });

    expect(await verifyUserToken(token, keys, NOW)).toEqual({
      userId: 'ada',
      expiresAt: new Date(NOW.getTime() + 900_000),
    });
    expect(await refusal(token, new Date(NOW.getTime() + 901_000 + 30_000))).toBe('expired');
  });

  it("is taken when signed with the stack's previous secret (a rotation), refused with another", async () => {
    const byPrevious = await mintUserToken('ada', previous, { now: NOW });
    expect((await verifyUserToken(byPrevious, keys, NOW)).userId).toBe('ada');

    const byStranger = await mintUserToken('ada', { kid: 'stack-2', secret: randomBytes(32) }, { now: NOW });
    expect(await refusal(byStranger)).toBe('bad_signature');
    const unknownKid = await mintUserToken('ada', { kid: 'stack-9', secret: current.secret }, { now: NOW });
    expect(await refusal(unknownKid)).toBe('unknown_key');
  });

  it("is taken when the team's key pair signed it, ES256 or Ed25519, and refused when another did", async () => {
    expect((await verifyUserToken(await teamToken(valid), keys, NOW)).userId).toBe('ada');
    expect((await verifyUserToken(await teamToken(valid, 'team-ed'), keys, NOW)).userId).toBe('ada');

    const stranger = (await generateKeyPair('ES256')).privateKey;
    expect(await refusal(await teamToken(valid, 'team-es', stranger))).toBe('bad_signature');
    expect(await refusal(await teamToken(valid, 'team-none'))).toBe('unknown_key');
  });

  it('refuses alg none, a tampered payload, and a token that is no JWT', async () => {
    const unsecured = new UnsecuredJWT({ ...valid }).encode();
    expect(await refusal(unsecured)).toBe('algorithm_not_allowed');

    const token = await mintUserToken('ada', current, { now: NOW });
    const [head, , signature] = token.split('.');
    const grace = Buffer.from(JSON.stringify({ ...valid, sub: 'grace', iss: STACK_TOKEN_ISSUER })).toString(
      'base64url',
    );
    expect(await refusal(`${head}.${grace}.${signature}`)).toBe('bad_signature');
    expect(await refusal('not-a-token')).toBe('malformed');
    expect(await refusal('')).toBe('malformed');
  });

  it("refuses an HS256 token signed with a team's public key (key confusion), and the stack's algorithm on the team's path", async () => {
    const confused = await new SignJWT({ ...valid })
      .setProtectedHeader({ alg: 'HS256', kid: 'team-es' })
      .sign(new TextEncoder().encode(JSON.stringify(teamPublic)));
    expect(['unknown_key', 'bad_signature']).toContain(await refusal(confused));

    const rs = await generateKeyPair('RS256');
    const otherAlgorithm = await new SignJWT({ ...valid })
      .setProtectedHeader({ alg: 'RS256', kid: 'team-es' })
      .sign(rs.privateKey);
    expect(await refusal(otherAlgorithm)).toBe('algorithm_not_allowed');
  });

  it('refuses a token for another audience, without sub, exp or iat, for no user id, or issued more than a day ago', async () => {
    expect(await refusal(await teamToken({ ...valid, aud: 'another-service' }))).toBe('invalid_claims');
    expect(await refusal(await teamToken({ ...valid, sub: undefined }))).toBe('invalid_claims');
    expect(await refusal(await teamToken({ ...valid, exp: undefined }))).toBe('invalid_claims');
    expect(await refusal(await teamToken({ ...valid, iat: undefined }))).toBe('invalid_claims');
    expect(await refusal(await teamToken({ ...valid, sub: 'ada@example.com/../x' }))).toBe('invalid_claims');
    const old = { ...valid, iat: seconds(NOW) - MAX_USER_TOKEN_SECONDS - 120, exp: seconds(NOW) + 600 };
    expect(await refusal(await teamToken(old))).toBe('expired');
  });

  it('allows a little clock skew between the minting backend and the platform, and no more', async () => {
    const ahead = { ...valid, iat: seconds(NOW) + 20, exp: seconds(NOW) + 620 };
    expect((await verifyUserToken(await teamToken(ahead), keys, NOW)).userId).toBe('ada');
    const farAhead = { ...valid, iat: seconds(NOW) + 120, exp: seconds(NOW) + 720 };
    expect(await refusal(await teamToken(farAhead))).toBe('invalid_claims');
  });

  it('is minted only for a user id, a lifetime of at most a day and a secret of 32 bytes or more', async () => {
    await expect(mintUserToken('not an id', current)).rejects.toThrow(RangeError);
    await expect(mintUserToken('ada', { kid: 'short', secret: randomBytes(3) })).rejects.toThrow(RangeError);
    await expect(mintUserToken('ada', current, { lifetimeSeconds: MAX_USER_TOKEN_SECONDS + 1 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe("the team's keys", () => {
  it('must be public keys, each with a kid of its own and an allowed alg', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'leaked', alg: 'ES256' };

    expect(teamKeyProblems([teamPublic])).toEqual([]);
    expect(teamKeyProblems([privateJwk]).join()).toContain('private');
    expect(teamKeyProblems([teamPublic, teamPublic]).join()).toContain('used twice');
    expect(teamKeyProblems([{ ...teamPublic, kid: undefined }]).join()).toContain('kid');
    expect(teamKeyProblems([{ ...teamPublic, alg: 'HS256' }]).join()).toContain('alg');
    expect(teamKeyProblems([{ kty: 'oct', k: 'c2VjcmV0', kid: 's', alg: 'HS256' }]).join()).toContain('secret');
  });
});
