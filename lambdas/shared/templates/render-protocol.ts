/** What a function's process and its render process say to each other. */
export type RenderRequest =
  | {
      readonly kind: 'email';
      readonly template: { subject: string; body: string };
      readonly payload: Record<string, unknown>;
    }
  | { readonly kind: 'sms'; readonly template: { body: string }; readonly payload: Record<string, unknown> }
  | {
      readonly kind: 'push';
      readonly template: { title: string; body: string };
      readonly payload: Record<string, unknown>;
    };

export type RenderReply =
  | { readonly id: number; readonly rendered: unknown }
  | {
      readonly id: number;
      readonly failed: { readonly field: string; readonly message: string; readonly limitExceeded: boolean };
    };
