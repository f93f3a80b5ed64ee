/** What a producer (an internal service holding an API key) may do. */
export const SCOPES = ['notifications:send', 'preferences:write', 'templates:write'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Producer {
  readonly name: string;
  readonly scopes: readonly Scope[];
}

export function hasScope(producer: Producer, scope: Scope): boolean {
  return producer.scopes.includes(scope);
}
