/**
 * Templates written to cost what a render may not have: the examples of the trust review, and ones that reach the
 * render process's own bounds (CPU time, heap) rather than the engine's.
 */
const doubled = (times: number, tail: string) =>
  `{% assign s = "xxxxxxxxxxxxxxxx" %}{% for i in (1..${times}) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}${tail}`;

/** Over any payload, even an empty one. */
export const HOSTILE_TEMPLATES = {
  // 1.4-2 s and 620-665 MB in one process before the fix.
  'a five-million range, sorted': '{% assign a=(1..5000000) %}{{ a | sort | size }}',
  // About 577 MB before the fix.
  'a string doubled 23 times': `{% assign s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" %}${'{% capture s %}{{ s }}{{ s }}{% endcapture %}'.repeat(23)}{{ s | size }}`,
  // Would flatten a 64-million-character string at once: the capture stops growing at a million characters.
  'a doubled string, encoded': doubled(22, '{{ s | url_encode | size }}'),
} as const;

/**
 * Allocates faster than it computes: half a million fresh copies of a 5,000-character payload string, each kept in
 * the output. Nothing the engine counts, so only the render process's memory bounds it.
 */
export const MEMORY_BOMB = {
  template: '{% for i in (1..500000) %}{{ s | url_encode }}{% endfor %}',
  payload: { s: 'ü'.repeat(5_000) },
};

/** Harmless over an empty payload, ruinous over a payload with a long list: it passes PUT, and fails a send. */
export const PAYLOAD_BOMB = {
  template: '{% for a in xs %}{% for b in xs %}{% for c in xs %}{% endfor %}{% endfor %}{% endfor %}{{ xs | size }}',
  payload: { xs: Array.from({ length: 1_500 }, (_, index) => index) },
};

const million = (unit: string) => unit.repeat(Math.ceil(1_000_000 / unit.length));

/**
 * A million characters of markup made to slow an HTML-to-text conversion down: a scan that goes over the rest of the
 * document again for each piece of markup takes minutes on the first (it did). Keyed by a short name.
 */
export const SLOW_MARKUP: Readonly<Record<string, string>> = {
  comments: million('<!--x-->'),
  comments_ended_by_bang: million('<!--x--!>'),
  tags_never_closed: million('<p><b><a href="https://example.com">y'),
  blocks_nested_90000_deep: `${'<div>'.repeat(90_000)}x${'</div>'.repeat(90_000)}`,
  lone_less_than_signs: million('<'),
  scripts: million('<script></script>'),
};
