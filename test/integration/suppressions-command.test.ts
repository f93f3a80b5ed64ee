/**
 * `npm run suppressions`: re-keying the suppression list to the current pepper loses no suppression, from an
 * unpeppered entry of a release before peppers or one of before the last rotation; and a rotation through the
 * secret in Secrets Manager (the emulator's), as on a deployed stack.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuppressionList } from '../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../lambdas/shared/aws/dynamodb.js';
import type { AddressKeyPeppers } from '../../lambdas/shared/domain/address-key.js';
import { secretsManager } from '../support/emulator-clients.js';
import { provisionTestPlatform, type TestPlatform } from '../support/test-platform.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const [FIRST, SECOND] = ['rekey-test-pepper-one-00000000000000000', 'rekey-test-pepper-two-00000000000000000'];
let platform: TestPlatform;
let table: string;

beforeAll(async () => {
  platform = await provisionTestPlatform('suppressions-command');
  table = platform.resources.tables.suppressions;
});
afterAll(() => platform.remove());

async function command(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'ops/suppressions.ts', ...args],
      {
        cwd: PROJECT,
        env: { ...process.env, ...env },
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: `${failed.stdout}${failed.stderr}` };
  }
}

const listWith = (peppers: AddressKeyPeppers) => new SuppressionList(table, documentClient, async () => peppers);

describe('npm run suppressions -- rekey', () => {
  it('moves every entry to the current pepper, from an unpeppered one and one of the generation before', async () => {
    // An entry a release before peppers wrote: its key is the bare SHA-256 of the address.
    const legacyAddress = `legacy-${randomUUID()}@example.com`;
    await documentClient.put({
      TableName: table,
      Item: {
        address_key: createHash('sha256').update(`email:${legacyAddress}`).digest('hex'),
        channel: 'email',
        reason: 'bounce',
        since: '2026-01-01T00:00:00.000Z',
      },
    });
    await listWith({ current: FIRST, previous: [], rekeyed: true }).suppress(
      'sms',
      '+4915111111111',
      'complaint',
      '2026-02-01T00:00:00.000Z',
    );
    const settled = listWith({ current: SECOND, previous: [FIRST], rekeyed: true });
    expect(await settled.isSuppressed('email', legacyAddress)).toBe(false);

    const run = await command(
      { SUPPRESSION_KEYS: JSON.stringify({ current: SECOND, previous: [FIRST] }) },
      'rekey',
      '--table',
      table,
      '--secret',
      'unused',
    );
    // A secret that does not exist is refused: nothing is re-keyed without knowing the peppers for sure.
    expect(run.code).not.toBe(0);

    const local = await command(
      {
        SUPPRESSION_KEYS: JSON.stringify({ current: SECOND, previous: [FIRST] }),
        LOCAL_RESOURCE_PREFIX: table.replace(/-suppressions$/, ''),
      },
      'rekey',
    );

    expect(local.code, local.stdout).toBe(0);
    expect(local.stdout).toMatch(/re-keyed 2 of \d+ entries to generation 2/);
    expect(await settled.find('email', legacyAddress)).toMatchObject({ reason: 'bounce', key_generation: 2 });
    expect(await settled.find('sms', '+4915111111111')).toMatchObject({ reason: 'complaint', key_generation: 2 });
  });
});

describe('npm run suppressions -- rotate', () => {
  it('puts a new pepper in the secret, re-keys every entry to it, and marks the secret settled', async () => {
    const { ARN = '' } = await secretsManager.send(
      new CreateSecretCommand({
        Name: `it-suppression-keys-${randomUUID()}`,
        SecretString: JSON.stringify({ current: SECOND, previous: [FIRST], rekeyed: true }),
      }),
    );
    try {
      const address = `rotated-${randomUUID()}@example.com`;
      await listWith({ current: SECOND, previous: [FIRST], rekeyed: true }).suppress(
        'email',
        address,
        'bounce',
        '2026-03-01T00:00:00.000Z',
      );

      const run = await command({}, 'rotate', '--secret', ARN, '--table', table, '--wait-seconds', '0');

      expect(run.code, run.stdout).toBe(0);
      const { SecretString = '{}' } = await secretsManager.send(new GetSecretValueCommand({ SecretId: ARN }));
      const peppers = JSON.parse(SecretString) as AddressKeyPeppers;
      expect(peppers.previous).toEqual([FIRST, SECOND]);
      expect(peppers.current).toMatch(/^[\w-]{64}$/);
      expect(peppers.rekeyed).toBe(true);
      expect(await listWith(peppers).find('email', address)).toMatchObject({ reason: 'bounce', key_generation: 3 });
    } finally {
      await secretsManager.send(new DeleteSecretCommand({ SecretId: ARN, ForceDeleteWithoutRecovery: true }));
    }
  });

  it('refuses to rotate the local platform, whose peppers are its environment', async () => {
    const run = await command({}, 'rotate', '--prefix', 'nowhere');

    expect(run.code).toBe(2);
    expect(run.stdout).toContain('rotate works on a deployed stack');
  });
});
