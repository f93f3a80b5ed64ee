import { textLiquid } from '../../shared/templates/liquid-engine.js';
import type { TemplatePart } from '../../shared/templates/render.js';
import { renderLiquid } from '../../shared/templates/render-in-process.js';
import { type SmsSegmentation, smsSegments } from './segments.js';

export interface RenderedSms extends SmsSegmentation {
  readonly body: string;
}

/** A text: its body, trimmed, and the segments it will be billed as. */
export async function render(
  part: TemplatePart,
  payload: Record<string, unknown>,
  locale?: string,
): Promise<RenderedSms> {
  // Whitespace that a template's tags leave at either end would cost characters, and sometimes a segment.
  const body = (await renderLiquid(textLiquid, 'sms.body', part.body ?? '', payload, locale)).trim();
  return { body, ...smsSegments(body) };
}
