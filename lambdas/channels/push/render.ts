import { textLiquid } from '../../shared/templates/liquid-engine.js';
import type { TemplatePart } from '../../shared/templates/render.js';
import { renderLiquid } from '../../shared/templates/render-in-process.js';

export interface RenderedPush {
  readonly title: string;
  readonly body: string;
}

/** A push: its title and body, trimmed. */
export async function render(
  part: TemplatePart,
  payload: Record<string, unknown>,
  locale?: string,
): Promise<RenderedPush> {
  const title = await renderLiquid(textLiquid, 'push.title', part.title ?? '', payload, locale);
  const body = await renderLiquid(textLiquid, 'push.body', part.body ?? '', payload, locale);
  return { title: title.trim(), body: body.trim() };
}
