import type { Liquid, Template } from 'liquidjs';
import { type SmsSegmentation, smsSegments } from '../domain/sms-segments.js';
import { htmlLiquid, textLiquid } from './liquid-engine.js';

/**
 * A template part that cannot be turned into a message, named by its field (e.g. "email.body"). `limitExceeded`
 * when it asked for more than a render may take (see RENDER_LIMITS), rather than being wrong.
 */
export class TemplateRenderError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly limitExceeded = false,
  ) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

export interface RenderedSms extends SmsSegmentation {
  readonly body: string;
}

export interface RenderedPush {
  readonly title: string;
  readonly body: string;
}

/** What renders a channel's template over a payload: in this process (tests, the render process) or bounded. */
export interface TemplateRenderer {
  renderEmail(template: { subject: string; body: string }, payload: Record<string, unknown>): Promise<RenderedEmail>;
  renderSms(template: { body: string }, payload: Record<string, unknown>): Promise<RenderedSms>;
  renderPush(template: { title: string; body: string }, payload: Record<string, unknown>): Promise<RenderedPush>;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  /** The plain-text alternative: what the HTML part shows, as text. */
  readonly text: string;
}

// A render past a million characters is a runaway (Gmail clips an email at 102 KB, SES refuses one above 10 MB).
// The length of what the engine built is known before it is flattened, so the check itself costs nothing.
const MAX_RENDERED_LENGTH = 1_000_000;
const MAX_MESSAGE_LENGTH = 200;

export async function renderEmail(
  template: { subject: string; body: string },
  payload: Record<string, unknown>,
): Promise<RenderedEmail> {
  const subject = await renderPart(textLiquid, 'email.subject', template.subject, payload);
  const html = await renderPart(htmlLiquid, 'email.body', template.body, payload);
  // Converting the escaped HTML, rather than an unescaped render, shows a payload's "a<b" or "&lt;" as the HTML
  // part does, instead of reading it as markup.
  return { subject: oneHeaderLine(subject), html, text: htmlToText(html) };
}

export async function renderSms(template: { body: string }, payload: Record<string, unknown>): Promise<RenderedSms> {
  // Whitespace that a template's tags leave at either end would cost characters, and sometimes a segment.
  const body = (await renderPart(textLiquid, 'sms.body', template.body, payload)).trim();
  return { body, ...smsSegments(body) };
}

export async function renderPush(
  template: { title: string; body: string },
  payload: Record<string, unknown>,
): Promise<RenderedPush> {
  const title = await renderPart(textLiquid, 'push.title', template.title, payload);
  const body = await renderPart(textLiquid, 'push.body', template.body, payload);
  return { title: title.trim(), body: body.trim() };
}

async function renderPart(
  engine: Liquid,
  field: string,
  source: string,
  payload: Record<string, unknown>,
): Promise<string> {
  let parsed: Template[];
  try {
    parsed = engine.parse(source);
  } catch (error) {
    throw new TemplateRenderError(field, `does not compile: ${shortMessage(error)}`);
  }
  let rendered: unknown;
  try {
    rendered = await engine.render(parsed, payload);
  } catch (error) {
    const message = shortMessage(error);
    throw new TemplateRenderError(field, `does not render: ${message}`, isEngineLimit(message));
  }
  const text = String(rendered);
  if (text.length > MAX_RENDERED_LENGTH) {
    throw new TemplateRenderError(field, `renders to more than ${MAX_RENDERED_LENGTH} characters`, true);
  }
  return text;
}

/** The engine's own limits (liquidjs's "memory alloc limit exceeded") and V8's longest string. */
function isEngineLimit(message: string): boolean {
  return /limit exceeded|Invalid string length|Invalid array length/.test(message);
}

function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Further lines quote the template around the error.
  const first = message.split('\n', 1)[0] ?? message;
  return first.length > MAX_MESSAGE_LENGTH ? `${first.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : first;
}

/** A line break in a header would start a header of the payload's choosing. */
function oneHeaderLine(subject: string): string {
  return subject.replace(/\s*[\r\n\u0085\u2028\u2029]+\s*/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------------
// HTML to plain text. A tokenizer that follows the HTML spec's rules for tags, comments and raw text, rather than
// regular expressions over the whole document, so markup cannot hide script or style content from it.

// Elements whose content is raw text, never shown as text of the message.
const HIDDEN_RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes']);
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'dl', 'table', 'pre']);
const LINE = new Set([
  'hr',
  'div',
  'li',
  'tr',
  'dt',
  'dd',
  'section',
  'article',
  'header',
  'footer',
  'aside',
  'nav',
  'main',
  'address',
  'figure',
  'figcaption',
  'center',
]);
const CELL = new Set(['td', 'th']);
const SPACE = /[\t\n\f\r ]/;
const LINK_SCHEMES = /^(?:https?|mailto|tel):/i;

interface Markup {
  readonly kind: 'start' | 'end' | 'other';
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  /** Index just past the markup. */
  readonly end: number;
}

export function htmlToText(html: string): string {
  // Text, or the number of line breaks a block boundary asks for: nested blocks ask together, not one after another.
  const out: Array<string | number> = [];
  let link: { readonly href: string; readonly from: number } | undefined;
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    const textEnd = open === -1 ? html.length : open;
    if (textEnd > at) out.push(decodeEntities(html.slice(at, textEnd).replace(/[\t\n\f\r ]+/g, ' ')));
    if (open === -1) break;
    const markup = readMarkup(html, open);
    if (markup === undefined) {
      out.push('<');
      at = open + 1;
      continue;
    }
    at = markup.end;
    if (markup.kind === 'other') continue;
    if (markup.kind === 'start' && HIDDEN_RAW_TEXT.has(markup.name)) {
      at = markup.name === 'script' ? scriptEnd(html, at) : rawTextEnd(html, at, markup.name);
      continue;
    }
    if (markup.name === 'br') out.push('\n');
    else if (PARAGRAPH.has(markup.name)) out.push(2);
    else if (LINE.has(markup.name)) out.push(1);
    else if (CELL.has(markup.name)) out.push(' ');
    else if (markup.name === 'a' && markup.kind === 'start') {
      const href = decodeEntities(markup.attributes.get('href') ?? '').trim();
      link = LINK_SCHEMES.test(href) ? { href, from: out.length } : undefined;
    } else if (markup.name === 'a' && link !== undefined) {
      const shown = out.slice(link.from).filter((piece) => typeof piece === 'string');
      out.push(linkTarget(link.href, shown.join('')));
      link = undefined;
    }
  }
  return layOut(out);
}

function layOut(pieces: ReadonlyArray<string | number>): string {
  let text = '';
  let breaks = 0;
  for (const piece of pieces) {
    if (typeof piece === 'number') breaks = Math.max(breaks, piece);
    // Spaces between blocks are source indentation, not text.
    else if (breaks > 0 && /^[^\S\n]*$/.test(piece)) continue;
    else {
      text += '\n'.repeat(breaks) + piece;
      breaks = 0;
    }
  }
  return text
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[\t ]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A link's destination, after its text, unless the text already says it; a reader of plain text cannot click. */
function linkTarget(href: string, text: string): string {
  const shown = text.replace(/\s+/g, ' ').trim();
  if (shown === '') return href;
  return shown === href || shown === href.replace(/^(?:mailto|tel):/i, '') ? '' : ` (${href})`;
}

function readMarkup(html: string, open: number): Markup | undefined {
  const next = html[open + 1];
  if (html.startsWith('<!--', open)) return other(commentEnd(html, open + 4));
  if (next === '!' || next === '?') return other(pastNext(html, '>', open + 2));
  if (next === '/') {
    const first = html[open + 2];
    if (first === undefined) return undefined;
    if (first === '>') return other(open + 3);
    return isAsciiLetter(first) ? readTag(html, open + 2, 'end') : other(pastNext(html, '>', open + 2));
  }
  return next !== undefined && isAsciiLetter(next) ? readTag(html, open + 1, 'start') : undefined;
}

function readTag(html: string, from: number, kind: 'start' | 'end'): Markup {
  let at = skipUntil(html, from, /[\t\n\f\r />]/);
  const name = html.slice(from, at).toLowerCase();
  const attributes = new Map<string, string>();
  while (at < html.length) {
    const char = html[at] ?? '';
    if (char === '>') return { kind, name, attributes, end: at + 1 };
    if (SPACE.test(char) || char === '/') {
      at += 1;
      continue;
    }
    // The first character of a name may be "=", as in the spec.
    const nameEnd = skipUntil(html, at + 1, /[\t\n\f\r />=]/);
    const attribute = html.slice(at, nameEnd).toLowerCase();
    at = skipWhile(html, nameEnd, SPACE);
    let value = '';
    if (html[at] === '=') {
      at = skipWhile(html, at + 1, SPACE);
      const quote = html[at];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, at + 1);
        if (close === -1) break;
        value = html.slice(at + 1, close);
        at = close + 1;
      } else {
        const valueEnd = skipUntil(html, at, /[\t\n\f\r >]/);
        value = html.slice(at, valueEnd);
        at = valueEnd;
      }
    }
    if (!attributes.has(attribute)) attributes.set(attribute, value);
  }
  // A tag still open at the end of the document is dropped, with everything after its "<".
  return other(html.length);
}

function other(end: number): Markup {
  return { kind: 'other', name: '', attributes: new Map(), end };
}

function commentEnd(html: string, from: number): number {
  // "<!-->" and "<!--->" are complete (empty) comments.
  if (html.startsWith('>', from)) return from + 1;
  if (html.startsWith('->', from)) return from + 2;
  const close = html.indexOf('-->', from);
  const bang = html.indexOf('--!>', from);
  if (close === -1 && bang === -1) return html.length;
  if (bang === -1 || (close !== -1 && close < bang)) return close + 3;
  return bang + 4;
}

/** Where raw text ends: at "</name" followed by a space, "/" or ">", or at the end of the document. */
function rawTextEnd(html: string, from: number, name: string): number {
  for (let at = html.indexOf('</', from); at !== -1; at = html.indexOf('</', at + 2)) {
    if (isTagNamed(html, at + 2, name)) return at;
  }
  return html.length;
}

/**
 * Where a script's content ends. Inside "<!--", a "<script" hides the next "</script>" (the spec's double-escaped
 * state), so `<script><!--<script></script>x</script>` is one script, and "x" is not text.
 */
function scriptEnd(html: string, from: number): number {
  let state: 'data' | 'escaped' | 'double-escaped' = 'data';
  let at = from;
  while (at < html.length) {
    if (state !== 'data' && html.startsWith('-->', at)) {
      state = 'data';
      at += 3;
    } else if (state === 'data' && html.startsWith('<!--', at)) {
      state = 'escaped';
      // The dashes may already begin the "-->" that ends the escape, as in "<!-->".
      at += 2;
    } else if (html.startsWith('</', at) && isTagNamed(html, at + 2, 'script')) {
      if (state !== 'double-escaped') return at;
      state = 'escaped';
      at += 8;
    } else if (state === 'escaped' && html[at] === '<' && isTagNamed(html, at + 1, 'script')) {
      state = 'double-escaped';
      at += 7;
    } else {
      at += 1;
    }
  }
  return html.length;
}

function isTagNamed(html: string, at: number, name: string): boolean {
  if (html.slice(at, at + name.length).toLowerCase() !== name) return false;
  const after = html[at + name.length];
  return after !== undefined && (SPACE.test(after) || after === '/' || after === '>');
}

function pastNext(html: string, char: string, from: number): number {
  const found = html.indexOf(char, from);
  return found === -1 ? html.length : found + 1;
}

function skipUntil(html: string, from: number, stop: RegExp): number {
  let at = from;
  while (at < html.length && !stop.test(html[at] ?? '')) at += 1;
  return at;
}

function skipWhile(html: string, from: number, keep: RegExp): number {
  let at = from;
  while (at < html.length && keep.test(html[at] ?? '')) at += 1;
  return at;
}

function isAsciiLetter(char: string): boolean {
  return /^[A-Za-z]$/.test(char);
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  times: '×',
  divide: '÷',
  zwnj: '\u200c',
  zwj: '\u200d',
};

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(?:#(\d{1,8});?|#[xX]([0-9a-fA-F]{1,7});?|([A-Za-z][A-Za-z0-9]{1,31});)/g,
    (entity, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (name !== undefined) return Object.hasOwn(NAMED_ENTITIES, name) ? (NAMED_ENTITIES[name] ?? entity) : entity;
      const codePoint = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? '', 16);
      const valid = codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
      return valid ? String.fromCodePoint(codePoint) : '\ufffd';
    },
  );
}
