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

/** A channel's part of a template (its Liquid sources by field), e.g. email's {subject, body}. */
export type TemplatePart = Readonly<Record<string, string>>;

/**
 * What renders a channel's part of a template over a payload, into what that channel sends (its render.ts says
 * what): bounded in render processes (bounded-renderer.ts), or in this process (render-in-process.ts, tests).
 */
export interface TemplateRenderer {
  /** `locale` is what the Intl-backed filters format dates and numbers for (the locale chosen, or the person's). */
  render<Rendered>(
    channel: string,
    part: TemplatePart,
    payload: Record<string, unknown>,
    locale?: string,
  ): Promise<Rendered>;
}

/** A channel's renderer: lambdas/channels/<name>/render.ts exports it as `render`. */
export type ChannelRender = (part: TemplatePart, payload: Record<string, unknown>, locale?: string) => Promise<object>;
