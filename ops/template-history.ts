/**
 * What git holds of the template files: each file's text at every commit of HEAD's history that changed it, following
 * renames. It is the record `push` decides with (ops/template-sync.ts), the same on every clone and in CI as long as
 * the history was fetched. git is asked in the folder itself, so the folder may be anywhere in its repository.
 */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { TemplateFile } from './template-folder.js';
import { versionFingerprints } from './template-sync.js';

export interface CommittedVersions {
  /** By type, the fingerprints of the versions of its file git holds; empty for a file git does not know. */
  readonly fingerprints: ReadonlyMap<string, ReadonlySet<string>>;
  /** Where the history is missing or cut short, one line each, for the command to say. */
  readonly notes: readonly string[];
}

export async function committedVersions(dir: string, files: readonly TemplateFile[]): Promise<CommittedVersions> {
  const fingerprints = new Map<string, ReadonlySet<string>>();
  const repository = await repositoryOf(dir);
  if ('unreadable' in repository)
    return {
      fingerprints,
      notes: [
        `no git history for ${dir} (${repository.unreadable}): only each file's current content counts as pushed`,
      ],
    };
  const notes = repository.shallow
    ? [`${dir} is in a shallow clone: only the versions it holds count as pushed (fetch the whole history)`]
    : [];
  for (const { type, file } of files) {
    const texts = repository.hasCommits ? await textsInHistory(dir, basename(file)) : [];
    if (texts.length === 0) notes.push(`no git history for ${file}: only its current content counts as pushed`);
    fingerprints.set(type, versionFingerprints(file, texts));
  }
  return { fingerprints, notes };
}

async function repositoryOf(dir: string): Promise<{ shallow: boolean; hasCommits: boolean } | { unreadable: string }> {
  let shallow: string;
  try {
    shallow = (await git(dir, ['rev-parse', '--is-shallow-repository'])).toString().trim();
  } catch (error) {
    // Not a repository, git missing, or a repository git refuses to read (another owner's): all leave no history.
    return { unreadable: gitProblem(error) };
  }
  const hasCommits = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    () => true,
    () => false,
  );
  return { shallow: shallow === 'true', hasCommits };
}

/** The texts of the folder's file `name` at each commit that changed it, newest first. */
async function textsInHistory(dir: string, name: string): Promise<string[]> {
  // With -z each commit is "<hash>\0\n<path as it was named at that commit>\0"; a merge lists no path (it added
  // nothing of its own to the file, or git shows no diff of it) and is left out.
  const log = (await git(dir, ['log', '-z', '--format=%H', '--name-only', '--follow', '--', name])).toString();
  const objects: string[] = [];
  let commit: string | undefined;
  for (const token of log.split('\0')) {
    if (token.startsWith('\n') && commit) objects.push(`${commit}:${token.slice(1)}`);
    commit = token.startsWith('\n') || token === '' ? undefined : token;
  }
  if (objects.length === 0) return [];
  // One process for every version: each answer is "<object> blob <size>\n<content>\n", or "<name> missing\n" for a
  // commit that deleted the file.
  const batch = await git(dir, ['cat-file', '--batch'], `${objects.join('\n')}\n`);
  const texts: string[] = [];
  let at = 0;
  while (at < batch.length) {
    const lineEnd = batch.indexOf(10, at);
    const [, kind, size] = batch.subarray(at, lineEnd).toString().split(' ');
    at = lineEnd + 1;
    if (size === undefined) continue;
    if (kind === 'blob') texts.push(batch.subarray(at, at + Number(size)).toString('utf8'));
    at += Number(size) + 1;
  }
  return texts;
}

async function git(cwd: string, args: readonly string[], input = ''): Promise<Buffer> {
  const running = promisify(execFile)('git', ['-c', 'core.quotePath=false', ...args], {
    cwd,
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  // git may exit before reading its input (it fails, or needs none): its answer says how it went, not the pipe.
  running.child.stdin?.on('error', () => {});
  running.child.stdin?.end(input);
  return (await running).stdout;
}

/** git's own words for why it failed, without its "fatal: ". */
function gitProblem(error: unknown): string {
  const failed = error as { code?: unknown; stderr?: Buffer };
  if (failed.code === 'ENOENT') return 'git is not installed';
  const said = failed.stderr
    ?.toString()
    .trim()
    .split('\n')[0]
    ?.replace(/^fatal: /, '');
  return said || String(error);
}
