import { type Context, type Emitter, Liquid, Tag, type TagToken, type TopLevelToken } from 'liquidjs';

/**
 * Templates are written by producers and rendered over payloads from producers: they may read the
 * payload and nothing else. No file can be read or included, a misspelt filter is an error rather than
 * a silent no-op, and only the payload's own properties are visible.
 */
const REFUSED_TAGS = ['include', 'render', 'layout'];

class RefusedTag extends Tag {
  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
    super(token, remainTokens, liquid);
    throw new Error(`the "${token.name}" tag is not allowed: templates cannot read other templates or files`);
  }

  render(): never {
    throw new Error('unreachable');
  }
}

// The engine's own bounds. They fail a runaway early and cheaply, but they cannot bound a render: liquidjs counts
// only what its filters and ranges create (not `capture`, not the output), and its render clock is the wall's, which
// a busy machine eats (so it is not used). The bound that holds is the render process's (bounded-renderer.ts): CPU
// time and memory.
const LIMITS = {
  // Twice the schema's largest part (an email body of 100 000 characters): only a template that bypassed
  // validation reaches it.
  parseLimit: 200_000,
  // Characters and array items that filters and ranges create, summed over the render: a range such as (1..5000000)
  // fails here before its array exists. A notification's payload is at most 16 KiB; a million is far beyond any
  // real template.
  memoryLimit: 1_000_000,
} as const;

/**
 * The longest value a `capture` may hold. liquidjs does not count what a capture builds, so a capture that doubles
 * itself reaches V8's longest string in 23 steps; the first filter or comparison that reads it then allocates all of
 * it at once. Counting a rope's length costs nothing, so this fails the render before anything is allocated.
 */
const MAX_CAPTURE_LENGTH = 1_000_000;

type TagClass = Liquid['tags'][string];

/** liquidjs's own capture, refusing to hold more than MAX_CAPTURE_LENGTH characters. */
function boundedCapture(Capture: TagClass): TagClass {
  return class extends Capture {
    *render(context: Context, emitter: Emitter): Generator<unknown, unknown, unknown> {
      yield* Capture.prototype.render.call(this, context, emitter) as Generator<unknown, unknown, unknown>;
      const { variable } = this as unknown as { variable: string };
      const captured = (context.bottom() as Record<string, unknown>)[variable];
      if (typeof captured === 'string' && captured.length > MAX_CAPTURE_LENGTH) {
        throw new Error(`capture limit exceeded: more than ${MAX_CAPTURE_LENGTH} characters`);
      }
      return undefined;
    }
  };
}

/**
 * The locale each render formats for, by its payload (the render's scope): not a variable the template could read or
 * a payload could set, since templates see the payload's own properties and nothing else.
 */
export const RENDER_LOCALES = new WeakMap<object, string>();

type FilterThis = { context: Context };

/** The locale of the render, as Intl takes it (a malformed one falls back to English rather than failing). */
function localeOf(filter: FilterThis): string {
  const locale = RENDER_LOCALES.get(filter.context.environments as object);
  try {
    return Intl.getCanonicalLocales(typeof locale === 'string' ? locale : 'en')[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/**
 * Dates and numbers written as the person reads them (Intl): `{{ shipped_at | local_date }}` (a date: short, medium,
 * long or full; `| local_date: "long", "Europe/Berlin"` in a time zone), `| local_datetime`, `{{ total | local_number }}`,
 * `{{ total | money: "EUR" }}`. A value that is not a date or a number is written as it is.
 */
const INTL_FILTERS: Record<string, (this: FilterThis, value: unknown, ...args: unknown[]) => string> = {
  local_date(value, style = 'medium', timeZone = 'UTC') {
    const at = dateOf(value);
    return at
      ? format(() =>
          new Intl.DateTimeFormat(localeOf(this), { dateStyle: dateStyle(style), timeZone: String(timeZone) }).format(
            at,
          ),
        )
      : String(value ?? '');
  },
  local_datetime(value, style = 'medium', timeZone = 'UTC') {
    const at = dateOf(value);
    return at
      ? format(() =>
          new Intl.DateTimeFormat(localeOf(this), {
            dateStyle: dateStyle(style),
            timeStyle: 'short',
            timeZone: String(timeZone),
          }).format(at),
        )
      : String(value ?? '');
  },
  local_number(value, digits) {
    const number = Number(value);
    return Number.isFinite(number) && value !== '' && value !== null
      ? format(() =>
          new Intl.NumberFormat(
            localeOf(this),
            digits === undefined ? {} : { maximumFractionDigits: Number(digits) },
          ).format(number),
        )
      : String(value ?? '');
  },
  money(value, currency = 'USD') {
    const number = Number(value);
    return Number.isFinite(number) && value !== '' && value !== null
      ? format(() =>
          new Intl.NumberFormat(localeOf(this), { style: 'currency', currency: String(currency) }).format(number),
        )
      : String(value ?? '');
  },
};

function dateOf(value: unknown): Date | undefined {
  if (!(typeof value === 'string' || typeof value === 'number')) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function dateStyle(style: unknown): 'short' | 'medium' | 'long' | 'full' {
  return style === 'short' || style === 'long' || style === 'full' ? style : 'medium';
}

/** A bad argument (an unknown currency or time zone) is the template's fault: it fails the render, naming why. */
function format(write: () => string): string {
  try {
    return write();
  } catch (error) {
    throw new Error(`cannot format: ${(error as Error).message}`);
  }
}

function engine(outputEscape?: 'escape'): Liquid {
  const configured = new Liquid({
    strictFilters: true,
    ownPropertyOnly: true,
    relativeReference: false,
    root: [],
    partials: [],
    layouts: [],
    ...LIMITS,
    ...(outputEscape ? { outputEscape } : {}),
  });
  for (const name of REFUSED_TAGS) configured.registerTag(name, RefusedTag);
  for (const [name, filter] of Object.entries(INTL_FILTERS)) configured.registerFilter(name, filter);
  const capture = configured.tags.capture;
  if (capture) configured.registerTag('capture', boundedCapture(capture));
  return configured;
}

/** For plain text (a subject, an SMS, a push): payload values are written as they are. */
export const textLiquid = engine();
/** For HTML: every output is HTML-escaped unless the template ends it with `| raw`. */
export const htmlLiquid = engine('escape');
/** Both engines parse alike; this is the one templates are checked with. */
export const liquid = textLiquid;
