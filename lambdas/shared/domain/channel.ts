/** The ways the platform reaches a person. Each has its own queue, worker and provider. */
export const CHANNELS = ['email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];
