/**
 * What `push` does with one template, given the file, the platform's copy and the versions of the file git holds.
 * The platform keeps no version a write could be made conditional on (no ETag, no If-Match), and a record kept on one
 * machine is missing on the next clone and in CI: git is the record. A template the platform holds as some version of
 * its file was pushed from this repository, and the file is the newer one; any other was changed in the platform (or
 * pushed from a branch that is not in this history). Pure.
 */
import { createHash } from 'node:crypto';
import type { TemplateDocument } from '../lambdas/shared/schemas/template.js';
import { parseTemplateFile, TemplateFileError, templateFileText } from './template-file.js';

/** Two templates have the same fingerprint when they are the same document, whatever order their fields came in. */
export function templateFingerprint(template: TemplateDocument): string {
  return createHash('sha256').update(templateFileText(template)).digest('hex');
}

/**
 * The fingerprints of a file's texts through its history. A version that is no template by today's schema could not
 * read as the platform's copy anyway, so it is left out rather than failing the push.
 */
export function versionFingerprints(file: string, texts: readonly string[]): Set<string> {
  const fingerprints = new Set<string>();
  for (const text of texts) {
    try {
      fingerprints.add(templateFingerprint(parseTemplateFile(file, text)));
    } catch (error) {
      if (!(error instanceof TemplateFileError)) throw error;
    }
  }
  return fingerprints;
}

export type PushDecision =
  | { readonly action: 'create' }
  | { readonly action: 'update' }
  | { readonly action: 'unchanged' }
  | { readonly action: 'conflict'; readonly reason: string };

export interface PushSituation {
  /** The file's fingerprint, as it is now. */
  readonly local: string;
  /** The platform's copy's; undefined when it has none. */
  readonly platform: string | undefined;
  /** The fingerprints of every version of the file git holds: what a push from this repository may have left there. */
  readonly committed: ReadonlySet<string>;
  readonly force: boolean;
}

export function pushDecision({ local, platform, committed, force }: PushSituation): PushDecision {
  if (platform === undefined) return { action: 'create' };
  if (platform === local) return { action: 'unchanged' };
  if (force || committed.has(platform)) return { action: 'update' };
  return { action: 'conflict', reason: 'changed in the platform: it holds no version of the file in git' };
}
