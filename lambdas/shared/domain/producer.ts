/**
 * What a producer (an internal service holding an API key) may do. People are shared by every producer on purpose (one
 * person, one set of choices), so what may be done to them is fenced by capability:
 * - `notifications:send`: send the notification types it owns;
 * - `notifications:read_all`: read any producer's notifications (others read only their own);
 * - `users:read`: read a person's preferences and the devices they registered;
 * - `preferences:write`: change a person's preferences (never what the person said themselves: a STOP, an
 *   unsubscribe, a choice on their preference page);
 * - `contacts:write`: change a person's contacts (where their email and texts go) and register or remove devices;
 * - `users:erase`: erase a person;
 * - `templates:write`: write the templates of the types it owns;
 * - `topics:write`: subscribe people to the topics it owns (the first subscription creates one) and unsubscribe them;
 *   listing a topic's subscribers reads people's ids, so it takes `users:read`;
 * - `webhooks:write`: register, delete and re-enable its webhook endpoints and rotate their secrets (which deliver its
 *   own notifications' events only); reading them and their attempts takes no scope;
 * - `admin`: edit a template another producer created, write templates of any type, put a type into a required
 *   category, lift a suppression, manage a topic another producer created.
 */
export const SCOPES = [
  'notifications:send',
  'notifications:read_all',
  'users:read',
  'preferences:write',
  'contacts:write',
  'users:erase',
  'templates:write',
  'topics:write',
  'webhooks:write',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The notification types a producer owns: each entry is a type's name ("password_reset") or a prefix ending in
 * "*" ("order.*", "order_*"); "*" alone is every type.
 */
export type TypePattern = string;
export const TYPE_PATTERN = /^([a-z0-9_.-]{1,64}|[a-z0-9_.-]{0,63}\*)$/;

export interface Producer {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly types: readonly TypePattern[];
}

export function hasScope(producer: Producer, scope: Scope): boolean {
  return producer.scopes.includes(scope);
}

/** Whether the producer owns the type: one of its patterns names it or is a prefix of it. */
export function ownsType(producer: Pick<Producer, 'types'>, type: string): boolean {
  return producer.types.some((pattern) =>
    pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type,
  );
}
