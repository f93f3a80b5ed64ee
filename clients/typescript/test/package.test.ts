/**
 * The typed client as others get it: built, packed with `npm pack`, installed into a fresh project offline (`npm ci
 * --offline`, from npm's cache as the repository's `npm ci` left it), compiled there with strict TypeScript, and run: a call to a server, and a webhook
 * delivery verified and a tampered one refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender } from '../../../lambdas/shared/adapters/webhook-sender.js';
import { newSigningSecret } from '../../../lambdas/shared/domain/webhooks.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('..', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const NOTIFICATION_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

let project: string;
let tarball: string;
let packed: { filename: string; version: string; integrity: string };
let server: Server;

interface LockEntry {
  readonly version: string;
  readonly integrity: string;
  readonly dependencies?: Record<string, string>;
}

/**
 * The fresh project's lockfile: the package's tarball, and its dependencies as the repository's lockfile pins them
 * (their versions and integrity). With it `npm ci --offline` installs from npm's cache alone, which the repository's
 * own `npm ci` filled with the same tarballs; without one, npm would ask the registry for each package's metadata.
 */
function lockfileFor(pack: typeof packed) {
  const root = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages as Record<string, LockEntry>;
  const client = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'fresh', dependencies: { '@notification-platform/client': `file:${tarball}` } },
    'node_modules/@notification-platform/client': {
      version: pack.version,
      resolved: `file:${tarball}`,
      integrity: pack.integrity,
      dependencies: client.dependencies,
    },
  };
  const pending = Object.keys(client.dependencies);
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    const key = `node_modules/${name}`;
    if (key in packages) continue;
    const entry = root[key];
    if (!entry) throw new Error(`the repository's lockfile has no ${key}`);
    packages[key] = { version: entry.version, integrity: entry.integrity, dependencies: entry.dependencies };
    pending.push(...Object.keys(entry.dependencies ?? {}));
  }
  return { name: 'fresh', lockfileVersion: 3, requires: true, packages };
}

beforeAll(async () => {
  await run(TSC, ['-p', join(CLIENT, 'tsconfig.build.json')]);
  project = mkdtempSync(join(tmpdir(), 'client-package-'));
  const packing = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: CLIENT });
  packed = (JSON.parse(packing.stdout) as (typeof packed)[])[0] as typeof packed;
  tarball = join(project, packed.filename);
  server = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ notification_id: NOTIFICATION_ID, seen: request.headers['x-api-key'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}, 300_000);

afterAll(() => {
  server?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the typed client as a package', () => {
  it('packs its build alone: JavaScript, declarations and nothing that reaches outside the package', async () => {
    const listed = await run('tar', ['-tzf', tarball]);
    const files = listed.stdout.trim().split('\n');

    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/webhooks.d.ts');
    expect(files.filter((file) => !/^package\/(dist\/|package\.json$|README\.md$)/.test(file))).toEqual([]);
    const built = readdirSync(join(CLIENT, 'dist')).filter((file) => /\.(js|d\.ts)$/.test(file));
    for (const file of built)
      expect(readFileSync(join(CLIENT, 'dist', file), 'utf8'), file).not.toMatch(/from ['"]\.\.\//);
  });

  it('installs offline into a fresh project, which compiles against it strictly and runs', async () => {
    const secret = newSigningSecret();
    const body = JSON.stringify({
      type: 'message.bounced',
      timestamp: '2026-12-08T10:00:00.000Z',
      data: { event_id: 'e1', event_type: 'message.bounced', notification_id: NOTIFICATION_ID },
    });
    const headers = WebhookSender.signed({ messageId: 'e1', payload: body, secrets: [secret] }, new Date());
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'fresh',
        private: true,
        type: 'module',
        dependencies: { '@notification-platform/client': `file:${tarball}` },
      }),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: [],
          strict: true,
          outDir: 'out',
        },
        include: ['main.ts'],
      }),
    );
    // Its types come from nowhere but the package and the standard library.
    writeFileSync(
      join(project, 'main.ts'),
      `import {
  type Answer,
  createNotificationClient,
  mintUserToken,
  verifyWebhook,
  WebhookVerificationError,
} from '@notification-platform/client';

const client = createNotificationClient({ baseUrl: 'http://127.0.0.1:${port}/v1', apiKey: 'fresh-key', maxAttempts: 1 });
const answer: Answer<'getNotification'> = await client.getNotification({ path: { notification_id: '${NOTIFICATION_ID}' } });
const secret = ${JSON.stringify(secret)};
const body = ${JSON.stringify(body)};
const headers: Record<string, string> = ${JSON.stringify(headers)};
const delivery = verifyWebhook(secret, body, headers);
let refused = false;
try {
  verifyWebhook(secret, body.replace('bounced', 'delivered'), headers);
} catch (error) {
  refused = error instanceof WebhookVerificationError;
}
const token = await mintUserToken('ada', { kid: 'stack-1', secret: new Uint8Array(32).fill(7) });
const sub = JSON.parse(atob(token.split('.')[1] ?? '')).sub;
console.log(JSON.stringify({ notification: answer.notification_id, event: delivery.data.event_id, type: delivery.type, refused, sub }));
`,
    );

    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lockfileFor(packed), null, 2));
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project });
    await run(TSC, ['-p', join(project, 'tsconfig.json')]);
    const { stdout } = await run(process.execPath, [join(project, 'out', 'main.js')], { cwd: project });

    expect(JSON.parse(stdout)).toEqual({
      notification: NOTIFICATION_ID,
      event: 'e1',
      type: 'message.bounced',
      refused: true,
      sub: 'ada',
    });
  });
});
