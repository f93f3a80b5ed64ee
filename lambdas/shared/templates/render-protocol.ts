import type { TemplatePart } from './render.js';

/** What a function's process and its render process say to each other. */
export interface RenderRequest {
  readonly channel: string;
  readonly part: TemplatePart;
  readonly payload: Record<string, unknown>;
  readonly locale?: string;
}

export type RenderReply =
  | { readonly id: number; readonly rendered: unknown }
  | {
      readonly id: number;
      readonly failed: { readonly field: string; readonly message: string; readonly limitExceeded: boolean };
    };
