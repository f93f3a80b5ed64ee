/**
 * Templates as code: the templates/ folder holds one `<type>.yaml` per notification type, exactly the body of
 * PUT /v1/templates/{type} (docs/templates.md).
 *
 * `npm run templates -- push [--force]` writes the folder's templates through the API: only those that differ, and
 * none that changed in the platform (a conflict: the platform holds no version of the file in git) unless `--force`.
 * `npm run templates -- pull [type...]` writes the platform's templates into the folder: every one it holds (GET
 * /v1/templates, page by page), or only the types named.
 * `npm run templates -- preview <type> [--payload file.json] [--locale xx]` renders every channel of the type, in
 * every locale or the one asked, as the workers would.
 *
 * Against the local platform (`npm start`, http://127.0.0.1:3000 with local-dev-key) by default; `--url` (or
 * PLATFORM_API_URL) names another, `--stage <name>` (or `--stack <name>`) a deployed stage whose stack outputs give
 * the URL; the key is PLATFORM_API_KEY (never a flag: it would stay in the shell's history). `--dir` names another
 * folder.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import { runCommand, UsageError } from './command.js';
import { chosenStack, STACK_OPTIONS, stackOutputs } from './stack-outputs.js';
import { TEMPLATE_FILE_EXTENSION, templateTypeOf } from './template-file.js';
import { readTemplateFile, readTemplateFolder, templateTypesIn, writeTemplateFile } from './template-folder.js';
import { committedVersions } from './template-history.js';
import { describePreviews, previewTemplate } from './template-preview.js';
import { pullEveryTemplate, pullTemplates, pushTemplates } from './template-transfer.js';

const USAGE = `usage: npm run templates -- push [--force] | pull [type...] | preview <type> [--payload file.json] [--locale xx]
  [--dir templates] [--stage <name> | --stack <name> | --url <url>]   (key: PLATFORM_API_KEY)`;
const LOCAL_URL = 'http://127.0.0.1:3000';
const LOCAL_API_KEY = 'local-dev-key';

async function main(argv: string[]): Promise<boolean> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: 'templates' },
      ...STACK_OPTIONS,
      url: { type: 'string' },
      force: { type: 'boolean', default: false },
      payload: { type: 'string' },
      locale: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  const dir = values.dir;
  if (command === 'push') {
    if (rest.length > 0) throw new UsageError(USAGE);
    return push(dir, await target(values), values.force);
  }
  if (command === 'pull') return pull(dir, rest, await target(values));
  if (command === 'preview') {
    const [type, ...more] = rest;
    if (type === undefined || more.length > 0) throw new UsageError(`preview takes one type\n${USAGE}`);
    return preview(dir, type, values.payload, values.locale);
  }
  throw new UsageError(USAGE);
}

async function push(dir: string, client: NotificationClient, force: boolean): Promise<boolean> {
  // Every file is read and checked before anything is written: a bad one stops the push whole.
  const files = await readTemplateFolder(dir);
  if (files.length === 0) throw new Error(`no templates in ${dir}: each is a <type>${TEMPLATE_FILE_EXTENSION} file`);
  const { fingerprints, notes } = await committedVersions(dir, files);
  for (const note of notes) say(note);
  const outcomes = await pushTemplates(client, files, { committed: fingerprints, force });
  for (const outcome of outcomes) {
    if (outcome.outcome === 'conflict')
      say(
        `${outcome.type}: conflict: ${outcome.reason}; not overwritten (\`pull ${outcome.type}\` to see it, push --force to overwrite it)`,
      );
    else if (outcome.outcome === 'failed') say(`${outcome.type}: error: ${outcome.reason}`);
    else say(`${outcome.type}: ${outcome.outcome}`);
  }
  return outcomes.every(({ outcome }) => outcome !== 'conflict' && outcome !== 'failed');
}

/**
 * The types named, or else every template of the platform: the folder then mirrors it, and a file of a type the
 * platform lacks is reported, as a named type it lacks is.
 */
async function pull(dir: string, named: readonly string[], client: NotificationClient): Promise<boolean> {
  for (const type of named) templateTypeOf(`${type}${TEMPLATE_FILE_EXTENSION}`);
  const pulled =
    named.length > 0
      ? await pullTemplates(client, [...new Set(named)].sort())
      : await pullEveryTemplate(client, await templateTypesIn(dir));
  if (pulled.length === 0) say('the platform has no templates');
  let complete = true;
  for (const { type, template } of pulled) {
    if (!template) {
      say(`${type}: missing: the platform has no template ${type}`);
      complete = false;
      continue;
    }
    say(`${type}: ${(await writeTemplateFile(dir, type, template)) ? 'pulled' : 'unchanged'}`);
  }
  return complete;
}

async function preview(dir: string, type: string, payloadFile: string | undefined, locale: string | undefined) {
  const { template } = await readTemplateFile(dir, type);
  const payload = payloadFile === undefined ? {} : await readPayload(payloadFile);
  const previews = await previewTemplate(type, template, payload, locale);
  process.stdout.write(describePreviews(type, previews));
  return previews.every(({ channels }) => channels.every(({ error }) => error === undefined));
}

async function readPayload(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no payload file ${file}`);
    throw error;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: is not JSON: ${(error as Error).message}`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new Error(`${file}: must be a JSON object, as a notification's payload is`);
  return payload as Record<string, unknown>;
}

async function target(values: { stage?: string; stack?: string; url?: string }): Promise<NotificationClient> {
  const stack = chosenStack(values);
  const url = values.url ?? process.env.PLATFORM_API_URL ?? (stack ? await stackApiUrl(stack) : LOCAL_URL);
  const host = new URL(url).hostname;
  const local = host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  const apiKey = process.env.PLATFORM_API_KEY || (local ? LOCAL_API_KEY : undefined);
  if (!apiKey) throw new UsageError(`PLATFORM_API_KEY is needed for ${url}`);
  const baseUrl = url.replace(/\/+$/, '');
  return createNotificationClient({ baseUrl: baseUrl.endsWith('/v1') ? baseUrl : `${baseUrl}/v1`, apiKey });
}

/** A deployed stack's API, from its outputs (with the caller's AWS credentials). */
async function stackApiUrl(stack: string): Promise<string> {
  return (await stackOutputs(stack))('ApiUrl');
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

await runCommand('templates', main);
