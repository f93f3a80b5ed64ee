import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link of every Markdown file in the repository resolves: the file it names exists and, with a
 * `#anchor`, that file has a heading (or an HTML id) with that GitHub slug. No Markdown parser is installed, so this
 * reads the few constructs our documents use (inline links and images, reference definitions, HTML href/src) and
 * skips fenced code blocks, code spans and HTML comments, where brackets are not links.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const README_LINE_LIMIT = 200;

interface Link {
  file: string;
  line: number;
  target: string;
}

/** The repository's Markdown files, as git sees them: tracked or new, never what .gitignore leaves out. */
function markdownFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.md'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = listed.split('\0').filter((file) => file !== '' && existsSync(join(ROOT, file)));
  return [...new Set(files)].sort();
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The file's lines with fenced code blocks blanked out (kept as empty lines, so line numbers stay right). */
function proseLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  let fence: string | undefined;
  return lines.map((line) => {
    const opening = FENCE.exec(line)?.[1];
    if (fence === undefined) {
      if (opening === undefined) return line;
      fence = opening;
      return '';
    }
    // A fence closes with at least as many of the same character, and nothing after it.
    if (opening !== undefined && opening[0] === fence[0] && opening.length >= fence.length && line.trim() === opening)
      fence = undefined;
    return '';
  });
}

/** Code spans and HTML comments hold no links; replaced by spaces so columns and lines stay where they were. */
function withoutCodeSpansAndComments(text: string): string {
  const blank = (match: string) => match.replace(/[^\n]/g, ' ');
  // A code span may wrap onto the next line of its paragraph, never past a blank line.
  return text.replace(/<!--[\s\S]*?-->/g, blank).replace(/(`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))*?[^`]\1(?!`)/g, blank);
}

// [text](destination "title") and ![alt](destination), the text holding at most one level of brackets.
const INLINE_LINK =
  /!?\[(?:[^[\]\\]|\\.|\[(?:[^[\]\\]|\\.)*\])*\]\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[(?:[^[\]\\]|\\.)+\]:\s*(<[^<>\n]*>|\S+)/gm;
const HTML_LINK = /<(?:a|img)\b[^>]*?\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

function linksOf(file: string, text: string): Link[] {
  const prose = withoutCodeSpansAndComments(proseLines(text).join('\n'));
  const lineAt = (index: number) => prose.slice(0, index).split('\n').length;
  const links: Link[] = [];
  for (const pattern of [INLINE_LINK, REFERENCE_DEFINITION, HTML_LINK]) {
    for (const match of prose.matchAll(pattern)) {
      const raw = match[1] ?? match[2] ?? '';
      const target = raw.startsWith('<') ? raw.slice(1, -1) : raw;
      links.push({ file, line: lineAt(match.index), target });
    }
  }
  return links;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2, ... */
function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's text as GitHub renders it before slugging: links by their text, no code or emphasis marks, no HTML. */
function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[((?:[^[\]]|\[[^\]]*\])*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim();
}

function anchorsOf(text: string): Set<string> {
  const lines = proseLines(text);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (heading: string) => {
    const slug = githubSlug(headingText(heading));
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  for (const [index, line] of lines.entries()) {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    // A setext heading: a line of = or - under a line of text that is not itself a list item or a table.
    const previous = lines[index - 1] ?? '';
    if (atx) add(atx[1] ?? '');
    else if (
      /^ {0,3}(?:=+|-+)[ \t]*$/.test(line) &&
      previous.trim() !== '' &&
      !/^\s*(?:[-*+>|]|\d+[.)])/.test(previous)
    )
      add(previous);
  }
  for (const match of text.matchAll(/<[a-z][^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) anchors.add(match[1] ?? '');
  return anchors;
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOfFile(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(path, 'utf8'));
    anchorCache.set(path, anchors);
  }
  return anchors;
}

/** Why a link does not resolve, or undefined when it does. */
function brokenBecause(link: Link): string | undefined {
  const { target } = link;
  // Absolute URLs (https:, mailto:, ...) and protocol-relative ones are not the repository's to check.
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const path = pathPart.split('?')[0] ?? '';
  const resolved =
    path === ''
      ? join(ROOT, link.file)
      : path.startsWith('/')
        ? join(ROOT, decodeURIComponent(path))
        : join(ROOT, dirname(link.file), decodeURIComponent(path));
  if (!existsSync(resolved)) return `no such file: ${relative(ROOT, resolved)}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return undefined;
  return anchorsOfFile(resolved).has(anchor) ? undefined : `no heading #${anchor} in ${relative(ROOT, resolved)}`;
}

describe('Markdown links', () => {
  it('reads links, skipping code, and slugs headings as GitHub does (a check of the checker)', () => {
    // prepare
    const text = [
      '# What `cdk deploy` creates',
      'See [it](#what-cdk-deploy-creates), ![img](a.png) and [a [nested] text](<with space.md> "title").',
      '[ref]: other.md#x',
      '```sh',
      'echo "[not a link](nowhere.md)"',
      '```',
      'In code: `[no](nowhere.md)`. <a href="page.md#top">html</a>',
      "## After the provider says yes: the email's closed loop",
      '## Tests',
      '## Tests',
    ].join('\n');

    // act
    const links = linksOf('x.md', text).map((link) => `${link.line} ${link.target}`);
    const anchors = anchorsOf(text);

    // assess
    expect(links.sort()).toEqual(
      ['2 #what-cdk-deploy-creates', '2 a.png', '2 with space.md', '3 other.md#x', '7 page.md#top'].sort(),
    );
    expect([...anchors]).toEqual(
      expect.arrayContaining([
        'what-cdk-deploy-creates',
        'after-the-provider-says-yes-the-emails-closed-loop',
        'tests',
        'tests-1',
      ]),
    );
  });

  it('every relative link in every Markdown file resolves, anchors included', () => {
    // prepare
    const files = markdownFiles();
    expect(files).toContain('README.md');

    // act
    const broken = files
      .flatMap((file) => linksOf(file, readFileSync(join(ROOT, file), 'utf8')))
      .flatMap((link) => {
        const reason = brokenBecause(link);
        return reason === undefined ? [] : [`${link.file}:${link.line}: ${link.target} (${reason})`];
      });

    // assess
    expect(broken, `broken links:\n${broken.join('\n')}`).toEqual([]);
  });

  it(`README.md is a hub, under ${README_LINE_LIMIT} lines: the rest belongs in docs/`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThan(README_LINE_LIMIT);
  });
});
