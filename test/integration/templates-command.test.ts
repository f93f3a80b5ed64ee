import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createNotificationClient, NotificationApiError, type NotificationClient } from '@notification-platform/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplateFile } from '../../ops/template-file.js';
import { platformTemplate } from '../../ops/template-transfer.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATES = join(PROJECT, 'templates');
const DEMO_TYPES = ['order_shipped', 'password_reset', 'spring_sale'];
// Types of this run alone: the demo has written the folder's own already.
const RUN = `it${randomBytes(4).toString('hex')}`;
const TYPES = DEMO_TYPES.map((type) => `${RUN}_${type}`);
const [ORDER, RESET, SALE] = TYPES as [string, string, string];

let platform: RunningLocalPlatform;
let client: NotificationClient;
let scratch: string;
/** A git repository whose templates are a copy of templates/ under this run's types. */
let repository: string;
/** Its template folder: not at its root, as history is read relative to the repository, wherever the folder is. */
let folder: string;

const run = promisify(execFile);

async function templates(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { PLATFORM_API_URL: _url, PLATFORM_API_KEY: _key, ...env } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'ops/templates.ts', ...args], {
      cwd: PROJECT,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const push = (dir: string, ...args: string[]) => templates('push', '--dir', dir, '--url', platform.url, ...args);

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd })).stdout;
}

/** Commits everything, as whoever: no global git configuration is needed. */
async function commit(message: string): Promise<void> {
  await git(repository, 'add', '--all');
  await git(
    repository,
    ...['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false'],
    ...['commit', '--quiet', '--message', message],
  );
}

async function fileText(dir: string, type: string): Promise<string> {
  return readFile(join(dir, `${type}.yaml`), 'utf8');
}

async function editFile(dir: string, type: string, from: string, to: string): Promise<void> {
  const text = await fileText(dir, type);
  expect(text).toContain(from);
  await writeFile(join(dir, `${type}.yaml`), text.replace(from, to));
}

/** Text to match as it is in a RegExp. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The line `push` says for a folder that no git repository holds. */
const outsideGit = (dir: string) =>
  `no git history for ${dir} (not a git repository (or any of the parent directories): .git): only each file's current content counts as pushed\n`;

beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo']);
  client = createNotificationClient({ baseUrl: `${platform.url}/v1`, apiKey: 'local-dev-key' });
  scratch = await mkdtemp(join(tmpdir(), 'templates-command-'));
  repository = join(scratch, 'repository');
  folder = join(repository, 'notifications', 'templates');
  await mkdir(folder, { recursive: true });
  await git(repository, 'init', '--quiet');
  for (const type of DEMO_TYPES) await cp(join(TEMPLATES, `${type}.yaml`), join(folder, `${RUN}_${type}.yaml`));
  await commit('the templates');
});
afterAll(async () => {
  await platform?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('npm run templates -- push', () => {
  it('finds the demo templates as the folder holds them: the demo pushed them from it', async () => {
    const demo = join(scratch, 'demo');
    await cp(TEMPLATES, demo, { recursive: true });

    const pushed = await push(demo);

    expect(pushed).toMatchObject({ code: 0, stderr: '' });
    expect(pushed.stdout).toBe(outsideGit(demo) + DEMO_TYPES.map((type) => `${type}: unchanged\n`).join(''));
  });

  it('creates each template, and a second push writes nothing', async () => {
    const first = await push(folder);
    const before = await platformTemplate(client, ORDER);

    const second = await push(folder);

    expect(first).toMatchObject({ code: 0, stdout: `${ORDER}: created\n${RESET}: created\n${SALE}: created\n` });
    expect(second).toMatchObject({ code: 0, stdout: `${ORDER}: unchanged\n${RESET}: unchanged\n${SALE}: unchanged\n` });
    const after = await platformTemplate(client, ORDER);
    expect(after?.updatedAt).toBe(before?.updatedAt);
    expect(after?.template).toEqual(parseTemplateFile('', await fileText(folder, ORDER)));
  });

  it('updates a template whose file changed in commits since: the platform holds a version git has', async () => {
    await editFile(folder, RESET, 'expires in 10 minutes', 'expires in 15 minutes');
    await commit('15 minutes');
    await editFile(folder, RESET, 'expires in 15 minutes', 'expires in 20 minutes');
    await commit('20 minutes');

    const pushed = await push(folder);

    expect(pushed).toMatchObject({ code: 0, stdout: `${ORDER}: unchanged\n${RESET}: updated\n${SALE}: unchanged\n` });
    expect((await platformTemplate(client, RESET))?.template.email?.body).toContain('expires in 20 minutes');
  });

  it('updates a template changed in the working tree only', async () => {
    await editFile(folder, RESET, 'expires in 20 minutes', 'expires in 25 minutes');

    const pushed = await push(folder);
    await commit('25 minutes');

    expect(pushed).toMatchObject({ code: 0, stdout: `${ORDER}: unchanged\n${RESET}: updated\n${SALE}: unchanged\n` });
    expect((await platformTemplate(client, RESET))?.template.email?.body).toContain('expires in 25 minutes');
  });

  it('reports a template changed in the platform, and leaves it as it is', async () => {
    const changed = { ...parseTemplateFile('', await fileText(folder, SALE)), sms: { body: 'Changed by hand' } };
    await client.putTemplate({ path: { type: SALE }, body: changed });

    const pushed = await push(folder);

    expect(pushed.code).toBe(1);
    expect(pushed.stdout).toContain(`${ORDER}: unchanged\n`);
    expect(pushed.stdout).toMatch(
      new RegExp(
        `${SALE}: conflict: changed in the platform: it holds no version of the file in git \\(it changed there at \\d{4}-[\\d:.TZ-]+\\); not overwritten`,
      ),
    );
    expect((await platformTemplate(client, SALE))?.template.sms).toEqual({ body: 'Changed by hand' });
  });

  it('overwrites it with --force, and then finds it unchanged', async () => {
    const forced = await push(folder, '--force');
    const again = await push(folder);

    expect(forced).toMatchObject({ code: 0 });
    expect(forced.stdout).toContain(`${SALE}: updated\n`);
    expect(forced.stdout).toContain(`${ORDER}: unchanged\n`);
    expect((await platformTemplate(client, SALE))?.template).toEqual(
      parseTemplateFile('', await fileText(folder, SALE)),
    );
    expect(again).toMatchObject({ code: 0, stdout: `${ORDER}: unchanged\n${RESET}: unchanged\n${SALE}: unchanged\n` });
  });

  it('follows a file moved to another folder of the repository', async () => {
    const moved = join(repository, 'templates');
    // Moved and changed in one commit: only the versions from before the move are the platform's.
    await git(repository, 'mv', 'notifications/templates', 'templates');
    await editFile(moved, ORDER, 'Order shipped', 'Your order shipped');
    await commit('moved, and a longer title');
    folder = moved;

    const pushed = await push(folder);

    expect(pushed).toMatchObject({ code: 0, stdout: `${ORDER}: updated\n${RESET}: unchanged\n${SALE}: unchanged\n` });
  });

  it('counts only the current files outside git, and says so once', async () => {
    const outside = join(scratch, 'outside-git');
    await cp(folder, outside, { recursive: true });
    await editFile(outside, RESET, 'expires in 25 minutes', 'expires in 30 minutes');

    const pushed = await push(outside);

    expect(pushed.code).toBe(1);
    expect(pushed.stdout).toMatch(
      new RegExp(
        `^${literal(outsideGit(outside))}${ORDER}: unchanged\n${RESET}: conflict: changed in the platform: it holds no version of the file in git .*\n${SALE}: unchanged\n$`,
      ),
    );
    expect((await platformTemplate(client, RESET))?.template.email?.body).toContain('expires in 25 minutes');
  });

  it('counts only the versions a shallow clone holds, and says so', async () => {
    await editFile(folder, SALE, 'this week.', 'this week only.');
    await commit('this week only');
    await editFile(folder, SALE, 'this week only.', 'until Sunday.');
    await commit('until Sunday');
    const shallow = join(scratch, 'shallow');
    await run('git', ['clone', '--quiet', '--depth', '1', `file://${repository}`, shallow]);

    const fromShallow = await push(join(shallow, 'templates'));
    const fromWhole = await push(folder);

    expect(fromShallow.code).toBe(1);
    expect(fromShallow.stdout).toMatch(
      new RegExp(
        `^${literal(join(shallow, 'templates'))} is in a shallow clone: only the versions it holds count as pushed \\(fetch the whole history\\)\n`,
      ),
    );
    expect(fromShallow.stdout).toContain(
      `${SALE}: conflict: changed in the platform: it holds no version of the file in git`,
    );
    expect(fromWhole).toMatchObject({
      code: 0,
      stdout: `${ORDER}: unchanged\n${RESET}: unchanged\n${SALE}: updated\n`,
    });
  });

  it('says which file git has no history for: one not committed yet', async () => {
    const type = `${RUN}_uncommitted`;
    await cp(join(TEMPLATES, 'password_reset.yaml'), join(folder, `${type}.yaml`));

    const pushed = await push(folder);
    await rm(join(folder, `${type}.yaml`));

    expect(pushed).toMatchObject({
      code: 0,
      stdout:
        `no git history for ${join(folder, `${type}.yaml`)}: only its current content counts as pushed\n` +
        `${ORDER}: unchanged\n${RESET}: unchanged\n${SALE}: unchanged\n${type}: created\n`,
    });
  });

  it.each([
    [
      'a file that is no template',
      'notes.txt',
      'just notes\n',
      /notes\.txt: is not a template file: templates are <type>\.yaml/,
    ],
    [
      'a type that is no type',
      'Order Shipped.yaml',
      'category: orders\nsms:\n  body: Hi\n',
      /Order Shipped\.yaml: type: "Order Shipped" \(the file's name\) must be 1 to 64 characters/,
    ],
    [
      'a field the template lacks',
      `${RUN}_broken.yaml`,
      'category: orders\nsms:\n  body: Hi\n  title: Hi\n',
      new RegExp(`${RUN}_broken\\.yaml: sms\\.title: is not a field of a template here`),
    ],
  ])('refuses a folder holding %s, names its path, and writes nothing', async (_, name, text, message) => {
    const bad = await mkdtemp(join(scratch, 'bad-'));
    const fresh = `${RUN}_fresh_${randomBytes(3).toString('hex')}`;
    await cp(join(TEMPLATES, 'order_shipped.yaml'), join(bad, `${fresh}.yaml`));
    await writeFile(join(bad, name), text);

    const refused = await push(bad);

    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(message);
    expect(await platformTemplate(client, fresh)).toBeUndefined();
  });

  it('names the file and field the platform refuses (a part that does not compile)', async () => {
    const bad = await mkdtemp(join(scratch, 'refused-'));
    const type = `${RUN}_uncompiled`;
    await writeFile(join(bad, `${type}.yaml`), 'category: orders\nsms:\n  body: "{% if %}"\n');

    const refused = await push(bad);

    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(`^${type}: error: 400 invalid_template\\n.*${type}\\.yaml: sms\\.body: does not compile`, 'ms'),
    );
    await expect(client.getTemplate({ path: { type } })).rejects.toBeInstanceOf(NotificationApiError);
  });
});

describe('npm run templates -- pull', () => {
  it('gives back into an empty folder the very files that were pushed', async () => {
    const empty = join(scratch, 'pulled');

    const pulled = await templates('pull', ...TYPES, '--dir', empty, '--url', platform.url);

    expect(pulled).toMatchObject({ code: 0, stderr: '' });
    expect(pulled.stdout).toBe(`${ORDER}: pulled\n${RESET}: pulled\n${SALE}: pulled\n`);
    expect((await readdir(empty)).filter((name) => !name.startsWith('.')).sort()).toEqual(
      TYPES.map((type) => `${type}.yaml`).sort(),
    );
    for (const type of TYPES) expect(await fileText(empty, type), type).toBe(await fileText(folder, type));
    // What it pulled is what a push from there would leave as it is.
    expect((await push(empty)).stdout).toBe(
      `${outsideGit(empty)}${ORDER}: unchanged\n${RESET}: unchanged\n${SALE}: unchanged\n`,
    );
  });

  it('gives back every template of the platform into an empty folder when no type is named: the files pushed', async () => {
    const empty = join(scratch, 'pulled-all');
    // The demo's, this run's, and the one pushed from a file not committed (a copy of password_reset).
    const sources = new Map([
      ...DEMO_TYPES.map((type): [string, string] => [type, join(TEMPLATES, `${type}.yaml`)]),
      ...TYPES.map((type): [string, string] => [type, join(folder, `${type}.yaml`)]),
      [`${RUN}_uncommitted`, join(TEMPLATES, 'password_reset.yaml')],
    ]);
    const types = [...sources.keys()].sort();

    const pulled = await templates('pull', '--dir', empty, '--url', platform.url);

    expect(pulled).toMatchObject({ code: 0, stderr: '' });
    expect(pulled.stdout).toBe(types.map((type) => `${type}: pulled\n`).join(''));
    expect((await readdir(empty)).sort()).toEqual(types.map((type) => `${type}.yaml`));
    for (const [type, source] of sources)
      expect(await fileText(empty, type), type).toBe(await readFile(source, 'utf8'));
  });

  it('says which type the platform lacks: one named, or a file of the folder when none is named', async () => {
    const empty = join(scratch, 'pulled-missing');
    const stale = join(scratch, 'pulled-stale');
    await mkdir(stale);
    await cp(join(TEMPLATES, 'order_shipped.yaml'), join(stale, `${RUN}_gone.yaml`));

    const missing = await templates('pull', `${RUN}_nothing`, '--dir', empty, '--url', platform.url);
    const all = await templates('pull', '--dir', stale, '--url', platform.url);

    expect(missing).toMatchObject({
      code: 1,
      stdout: `${RUN}_nothing: missing: the platform has no template ${RUN}_nothing\n`,
    });
    expect(all.code).toBe(1);
    expect(all.stdout).toContain(`${RUN}_gone: missing: the platform has no template ${RUN}_gone\n`);
    expect(all.stdout).toContain(`${ORDER}: pulled\n`);
  });
});

describe('npm run templates -- preview', () => {
  it('renders email, SMS and push of order_shipped in English and German', async () => {
    const payload = join(scratch, 'payload.json');
    await writeFile(payload, JSON.stringify({ order_id: 'A-1001', name: 'Ada' }));

    const previewed = await templates('preview', 'order_shipped', '--payload', payload);

    expect(previewed).toMatchObject({ code: 0, stderr: '' });
    const [english = '', german = ''] = previewed.stdout.split(/(?=^== )/m);
    expect(english).toMatch(/^== order_shipped, default content ==\n/);
    expect(english).toContain('email.subject:  Your order A-1001 has shipped\n');
    expect(english).toContain('email.text:     Hello Ada,\n');
    expect(english).toContain('sms.body:       Order A-1001 has shipped.\n');
    expect(english).toContain('push.body:      Order A-1001 is on its way\n');
    expect(german).toMatch(/^== order_shipped, locale de ==\n/);
    expect(german).toContain('email.subject:  Ihre Bestellung A-1001 ist unterwegs\n');
    expect(german).toContain('sms.body:       Bestellung A-1001 wurde versandt.\n');
    expect(german).toContain('push.title:     Bestellung versandt\n');
  });

  it('renders one locale as a person of it gets it', async () => {
    const previewed = await templates('preview', 'order_shipped', '--locale', 'de-AT');

    expect(previewed.code).toBe(0);
    expect(previewed.stdout).toMatch(/^== order_shipped, locale de-AT → de ==\n/);
    expect(previewed.stdout).not.toContain('default content');
  });

  it.each([
    [
      ['preview', 'order_shipped', '--payload', '/nonexistent/payload.json'],
      1,
      /no payload file \/nonexistent\/payload\.json/,
    ],
    [['preview', 'no_such_type'], 1, /no template file templates\/no_such_type\.yaml/],
    [['preview'], 2, /preview takes one type/],
    [['publish'], 2, /usage: npm run templates -- push/],
    [['push', '--bogus'], 2, /Unknown option '--bogus'/],
  ])('refuses %j with exit code %i and says why', async (args, code, message) => {
    const refused = await templates(...args);

    expect(refused.code).toBe(code);
    expect(refused.stderr).toMatch(message);
    expect(refused.stdout).toBe('');
  });
});
