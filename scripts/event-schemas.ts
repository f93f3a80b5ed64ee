/**
 * Writes docs/events/v<version>/<detail-type>.json, a JSON Schema for the detail of each state event, from
 * lambdas/shared/schemas/state-event.ts. Run it after changing an event: `npm run events:schemas`. A test fails while
 * the committed files are stale, and the integration test checks the events the bus carries against them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { EVENT_SCHEMA_VERSION, STATE_EVENT_TYPES, type StateEventType } from '../lambdas/shared/domain/state-events.js';
import { stateEventSchema } from '../lambdas/shared/schemas/state-event.js';
import * as z from '../lambdas/shared/schemas/zod.js';

export const EVENT_SCHEMAS_DIRECTORY = new URL(`../docs/events/v${EVENT_SCHEMA_VERSION}/`, import.meta.url);

export function eventSchemaFile(type: StateEventType): URL {
  return new URL(`${type}.json`, EVENT_SCHEMAS_DIRECTORY);
}

export function eventSchemaText(type: StateEventType): string {
  const schema = {
    ...z.toJSONSchema(stateEventSchema(type), { target: 'draft-2020-12', io: 'output' }),
    $id: `urn:notification-platform:events:v${EVENT_SCHEMA_VERSION}:${type}`,
    title: `The detail of a "${type}" event, schema version ${EVENT_SCHEMA_VERSION}`,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(EVENT_SCHEMAS_DIRECTORY, { recursive: true });
  for (const type of STATE_EVENT_TYPES) writeFileSync(eventSchemaFile(type), eventSchemaText(type));
  console.log(`wrote ${STATE_EVENT_TYPES.length} schemas into docs/events/v${EVENT_SCHEMA_VERSION}/`);
}
