/**
 * HTML to plain text, for an email's plain-text alternative. A tokenizer that follows the HTML spec's rules for tags,
 * comments and raw text, rather than regular expressions over the whole document, so markup cannot hide script or
 * style content from it. Every scan only moves forward, so the time it takes grows with the length of the document
 * whatever its markup: it runs inside a render, within the render's CPU budget (bounded-renderer.ts).
 *
 * Not the html-to-text package: its parser (htmlparser2) shows the script that follows "<!--<script></script>",
 * hides everything after a "</script/>", and overflows the stack on markup nested tens of thousands deep.
 */

// Elements whose content is raw text, never shown as text of the message.
const HIDDEN_RAW_TEXT_ELEMENTS = new Set([
  'script',
  'style',
  'title',
  'textarea',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
]);
// Elements set apart from what is around them by a blank line, as paragraphs are.
const BLANK_LINE_ELEMENTS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'ul',
  'ol',
  'dl',
  'table',
  'pre',
]);
// Elements that start on a line of their own, and end it.
const OWN_LINE_ELEMENTS = new Set([
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
// The cells of a row, one space apart.
const TABLE_CELL_ELEMENTS = new Set(['td', 'th']);
const HTML_WHITESPACE = /[\t\n\f\r ]/;
// Destinations a reader can follow by hand; a link elsewhere (javascript:, a relative path) shows only its text.
const FOLLOWABLE_LINK = /^(?:https?|mailto|tel):/i;

/** A start or end tag, or markup that shows nothing: a comment, a doctype, a processing instruction, a bogus tag. */
type Markup =
  | {
      readonly kind: 'start-tag' | 'end-tag';
      readonly name: string;
      readonly attributes: ReadonlyMap<string, string>;
      /** Index just past the markup. */
      readonly end: number;
    }
  | { readonly kind: 'shows-nothing'; readonly end: number };

/**
 * What the text is made of: text, or the number of line breaks a block boundary asks for. Boundaries next to each
 * other (nested blocks) ask together, for the most any of them asks, not one after another.
 */
type TextPiece = string | number;

export function htmlToText(html: string): string {
  const pieces: TextPiece[] = [];
  let openLink: { readonly href: string; readonly firstPiece: number } | undefined;
  let at = 0;
  while (at < html.length) {
    const lessThan = html.indexOf('<', at);
    const textEnd = lessThan === -1 ? html.length : lessThan;
    if (textEnd > at) pieces.push(decodeEntities(html.slice(at, textEnd).replace(/[\t\n\f\r ]+/g, ' ')));
    if (lessThan === -1) break;
    const markup = readMarkupAt(html, lessThan);
    if (markup === undefined) {
      pieces.push('<');
      at = lessThan + 1;
      continue;
    }
    at = markup.end;
    if (markup.kind === 'shows-nothing') continue;
    if (markup.kind === 'start-tag' && HIDDEN_RAW_TEXT_ELEMENTS.has(markup.name)) {
      at = markup.name === 'script' ? indexOfScriptEnd(html, at) : indexOfRawTextEnd(html, at, markup.name);
      continue;
    }
    if (markup.name === 'br') pieces.push('\n');
    else if (BLANK_LINE_ELEMENTS.has(markup.name)) pieces.push(2);
    else if (OWN_LINE_ELEMENTS.has(markup.name)) pieces.push(1);
    else if (TABLE_CELL_ELEMENTS.has(markup.name)) pieces.push(' ');
    else if (markup.name === 'a' && markup.kind === 'start-tag') {
      const href = decodeEntities(markup.attributes.get('href') ?? '').trim();
      openLink = FOLLOWABLE_LINK.test(href) ? { href, firstPiece: pieces.length } : undefined;
    } else if (markup.name === 'a' && openLink !== undefined) {
      const linkText = pieces.slice(openLink.firstPiece).filter((piece) => typeof piece === 'string');
      pieces.push(destinationAfterLinkText(openLink.href, linkText.join('')));
      openLink = undefined;
    }
  }
  return joinIntoLines(pieces);
}

function joinIntoLines(pieces: readonly TextPiece[]): string {
  let text = '';
  let pendingLineBreaks = 0;
  for (const piece of pieces) {
    if (typeof piece === 'number') pendingLineBreaks = Math.max(pendingLineBreaks, piece);
    // Spaces between blocks are source indentation, not text.
    else if (pendingLineBreaks > 0 && /^[^\S\n]*$/.test(piece)) continue;
    else {
      text += '\n'.repeat(pendingLineBreaks) + piece;
      pendingLineBreaks = 0;
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
function destinationAfterLinkText(href: string, linkText: string): string {
  const shown = linkText.replace(/\s+/g, ' ').trim();
  if (shown === '') return href;
  return shown === href || shown === href.replace(/^(?:mailto|tel):/i, '') ? '' : ` (${href})`;
}

/** The markup that starts at a "<", or undefined when that "<" is text (as in "1 < 2" or "<3"). */
function readMarkupAt(html: string, lessThan: number): Markup | undefined {
  const next = html[lessThan + 1];
  if (html.startsWith('<!--', lessThan)) return showsNothing(indexAfterComment(html, lessThan + 4));
  if (next === '!' || next === '?') return showsNothing(indexAfterNext(html, '>', lessThan + 2));
  if (next === '/') {
    const first = html[lessThan + 2];
    if (first === undefined) return undefined;
    if (first === '>') return showsNothing(lessThan + 3);
    return isAsciiLetter(first)
      ? readTag(html, lessThan + 2, 'end-tag')
      : showsNothing(indexAfterNext(html, '>', lessThan + 2));
  }
  return next !== undefined && isAsciiLetter(next) ? readTag(html, lessThan + 1, 'start-tag') : undefined;
}

function readTag(html: string, nameStart: number, kind: 'start-tag' | 'end-tag'): Markup {
  let at = skipUntil(html, nameStart, /[\t\n\f\r />]/);
  const name = html.slice(nameStart, at).toLowerCase();
  const attributes = new Map<string, string>();
  while (at < html.length) {
    const char = html[at] ?? '';
    if (char === '>') return { kind, name, attributes, end: at + 1 };
    if (HTML_WHITESPACE.test(char) || char === '/') {
      at += 1;
      continue;
    }
    // The first character of a name may be "=", as in the spec.
    const nameEnd = skipUntil(html, at + 1, /[\t\n\f\r />=]/);
    const attribute = html.slice(at, nameEnd).toLowerCase();
    at = skipWhile(html, nameEnd, HTML_WHITESPACE);
    let value = '';
    if (html[at] === '=') {
      at = skipWhile(html, at + 1, HTML_WHITESPACE);
      const quote = html[at];
      if (quote === '"' || quote === "'") {
        const closingQuote = html.indexOf(quote, at + 1);
        if (closingQuote === -1) break;
        value = html.slice(at + 1, closingQuote);
        at = closingQuote + 1;
      } else {
        const valueEnd = skipUntil(html, at, /[\t\n\f\r >]/);
        value = html.slice(at, valueEnd);
        at = valueEnd;
      }
    }
    // The first of an attribute's repeats counts, as in the spec.
    if (!attributes.has(attribute)) attributes.set(attribute, value);
  }
  // A tag still open at the end of the document is dropped, with everything after its "<".
  return showsNothing(html.length);
}

function showsNothing(end: number): Markup {
  return { kind: 'shows-nothing', end };
}

/** Where a comment ends: past its "-->" or "--!>", or at the end of the document. */
function indexAfterComment(html: string, contentStart: number): number {
  // "<!-->" and "<!--->" are complete (empty) comments.
  if (html.startsWith('>', contentStart)) return contentStart + 1;
  if (html.startsWith('->', contentStart)) return contentStart + 2;
  // One scan for whichever ending comes first. Looking for "-->" and then for "--!>" would scan the rest of the
  // document for the ending a comment does not use, once per comment: a million characters of "<!--x-->" took
  // minutes that way.
  for (let dashes = html.indexOf('--', contentStart); dashes !== -1; dashes = html.indexOf('--', dashes + 1)) {
    if (html[dashes + 2] === '>') return dashes + 3;
    if (html.startsWith('!>', dashes + 2)) return dashes + 4;
  }
  return html.length;
}

/** Where raw text ends: at "</name" followed by a space, "/" or ">", or at the end of the document. */
function indexOfRawTextEnd(html: string, from: number, name: string): number {
  for (let at = html.indexOf('</', from); at !== -1; at = html.indexOf('</', at + 2)) {
    if (isTagNameAt(html, at + 2, name)) return at;
  }
  return html.length;
}

/**
 * Where a script's content ends. Inside "<!--", a "<script" hides the next "</script>" (the spec's double-escaped
 * state), so `<script><!--<script></script>x</script>` is one script, and "x" is not text.
 */
function indexOfScriptEnd(html: string, from: number): number {
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
    } else if (html.startsWith('</', at) && isTagNameAt(html, at + 2, 'script')) {
      if (state !== 'double-escaped') return at;
      state = 'escaped';
      at += 8;
    } else if (state === 'escaped' && html[at] === '<' && isTagNameAt(html, at + 1, 'script')) {
      state = 'double-escaped';
      at += 7;
    } else {
      at += 1;
    }
  }
  return html.length;
}

/** Whether the tag name at `at` is `name`, ended as the spec ends one (by a space, "/" or ">"). */
function isTagNameAt(html: string, at: number, name: string): boolean {
  if (html.slice(at, at + name.length).toLowerCase() !== name) return false;
  const after = html[at + name.length];
  return after !== undefined && (HTML_WHITESPACE.test(after) || after === '/' || after === '>');
}

function indexAfterNext(html: string, char: string, from: number): number {
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

// The entities email HTML uses; any other named one stays as written. Numeric ones all decode.
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
      // Zero, a surrogate or past Unicode is the replacement character, as in the spec.
      const valid = codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
      return valid ? String.fromCodePoint(codePoint) : '\ufffd';
    },
  );
}
