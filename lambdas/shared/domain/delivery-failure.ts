/**
 * Why a delivery attempt did not succeed, and whether trying again can help. `reason` is a short code such as
 * `ses_message_rejected` that is safe to log and count: it never carries an address, number, token or message text.
 */
export type DeliveryFailure =
  | { readonly kind: 'transient'; readonly reason: string; readonly retryAfterSeconds?: number }
  | { readonly kind: 'permanent'; readonly reason: string };

export const transient = (reason: string, retryAfterSeconds?: number): DeliveryFailure =>
  retryAfterSeconds === undefined ? { kind: 'transient', reason } : { kind: 'transient', reason, retryAfterSeconds };

export const permanent = (reason: string): DeliveryFailure => ({ kind: 'permanent', reason });
