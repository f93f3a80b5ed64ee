/**
 * What the API's operations are grouped under: each operation of the table names one tag (its `tag`). In the OpenAPI
 * description a tag is a section of a viewer and a class of a generated client, so a producer finds its calls apart
 * from what Twilio and a recipient's browser call. Who calls a tag's operations groups the tags (x-tagGroups) and
 * decides what the typed client (clients/typescript) offers: a producer's calls, nothing else.
 */

/**
 * producer: a producer's service, with its API key; tooling: a producer's tools (viewers, generators), with the same
 * key; provider: a provider's callback; recipient: a recipient's browser or mail provider, following a link.
 */
export type TagAudience = 'producer' | 'tooling' | 'provider' | 'recipient';

export interface ApiTagDefinition {
  /** How a viewer titles the section (x-displayName); the tag's name is what generators name their class by. */
  readonly title: string;
  readonly description: string;
  readonly audience: TagAudience;
}

export const API_TAGS = {
  notifications: {
    title: 'Notifications',
    description: 'Send a notification to a person, and read where each of its channels stands.',
    audience: 'producer',
  },
  people: {
    title: 'People',
    description:
      "A person's preferences (channels by category, quiet hours), contacts and push devices, and erasing everything " +
      'the platform holds about them.',
    audience: 'producer',
  },
  templates: {
    title: 'Templates',
    description: "A notification type's template: Liquid over the payload, one part per channel.",
    audience: 'producer',
  },
  suppressions: {
    title: 'Suppressions',
    description:
      'Addresses no channel sends to after a hard bounce, a complaint or repeated soft bounces: why, since when, and ' +
      'lifting one.',
    audience: 'producer',
  },
  topics: {
    title: 'Topics',
    description:
      "A producer's named groups of people (subscribers) to broadcast to: subscribing and unsubscribing people, and " +
      'listing them. A topic belongs to the producer whose first subscription created it.',
    audience: 'producer',
  },
  'webhook-endpoints': {
    title: 'Webhook endpoints',
    description:
      "A producer's URLs that receive its notifications' state events, signed as Standard Webhooks specifies: " +
      "registering one (its secret is shown once), rotating its secret, and each delivery attempt's outcome.",
    audience: 'producer',
  },
  'api-description': {
    title: 'API description',
    description: 'This OpenAPI document, for viewers, client generators and contract tests.',
    audience: 'tooling',
  },
  webhooks: {
    title: 'Webhooks',
    description:
      'Called by a provider, not by a producer: no API key, the provider signs each request instead. Point the ' +
      "provider's settings at them.",
    audience: 'provider',
  },
  'recipient-links': {
    title: 'Recipient links',
    description:
      "Called by a recipient's browser or mail provider, from a link in a message the platform sent: no API key, the " +
      "link's signed token instead. They answer a page or plain text, not JSON.",
    audience: 'recipient',
  },
} as const satisfies Record<string, ApiTagDefinition>;

export type ApiTag = keyof typeof API_TAGS;

/** The tags whose operations a producer's service calls: what the typed client offers. */
export type ProducerTag = {
  [Tag in ApiTag]: (typeof API_TAGS)[Tag]['audience'] extends 'producer' ? Tag : never;
}[ApiTag];

export function isProducerTag(tag: ApiTag): tag is ProducerTag {
  return API_TAGS[tag].audience === 'producer';
}
