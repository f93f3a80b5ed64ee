/**
 * Rendering itself, which only the render process loads (render-process.ts; tests too): liquidjs and every channel's
 * render.ts. A function that only starts render processes imports none of it (render.ts has what it needs), so the
 * engine is not in its cold start.
 */
import type { Liquid, Template } from 'liquidjs';
import { RENDER_LOCALES } from './liquid-engine.js';
import { type ChannelRender, type TemplatePart, TemplateRenderError } from './render.js';

// A render past a million characters is a runaway (Gmail clips an email at 102 KB, SES refuses one above 10 MB).
// The length of what the engine built is known before it is flattened, so the check itself costs nothing.
const MAX_RENDERED_LENGTH = 1_000_000;
const MAX_MESSAGE_LENGTH = 200;

/** Renders in this process with the channel's own render.ts, loaded on first use. */
export async function renderInProcess(
  channel: string,
  part: TemplatePart,
  payload: Record<string, unknown>,
  locale?: string,
): Promise<object> {
  // A template literal esbuild bundles every channel's render.ts for (the render process's bundle holds them all).
  const { render } = (await import(`../../channels/${channel}/render.ts`)) as { render: ChannelRender };
  return render(part, payload, locale);
}

/** One field of a template, rendered by `engine` over the payload; a failure names the field (e.g. "email.body"). */
export async function renderLiquid(
  engine: Liquid,
  field: string,
  source: string,
  payload: Record<string, unknown>,
  locale?: string,
): Promise<string> {
  let parsed: Template[];
  try {
    parsed = engine.parse(source);
  } catch (error) {
    throw new TemplateRenderError(field, `does not compile: ${shortMessage(error)}`);
  }
  let rendered: unknown;
  try {
    // The Intl-backed filters read the locale by the render's scope, the payload: no template variable holds it.
    RENDER_LOCALES.set(payload, locale ?? 'en');
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
