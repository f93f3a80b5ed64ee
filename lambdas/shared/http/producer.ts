import type { APIGatewayProxyEvent } from 'aws-lambda';
import { hasScope, ownsType, type Producer, SCOPES, type Scope, TYPE_PATTERN } from '../domain/producer.js';
import { ENV, requiredEnv } from '../platform/environment.js';
import * as z from '../schemas/zod.js';
import { ApiError } from './api-error.js';

const producersSchema = z.array(
  z.object({
    key_id: z.string().check(z.minLength(1)),
    name: z.string().check(z.minLength(1)),
    scopes: z.array(z.enum(SCOPES)),
    types: z.array(z.string().check(z.regex(TYPE_PATTERN))),
  }),
);

let producersByKeyId: Map<string, Producer> | undefined;

/** PRODUCERS lists each producer with its API Gateway key id; read once per function instance. */
function producers(): Map<string, Producer> {
  producersByKeyId ??= new Map(
    producersSchema
      .parse(JSON.parse(requiredEnv(ENV.producers)))
      .map(({ key_id, name, scopes, types }) => [key_id, { name, scopes, types }]),
  );
  return producersByKeyId;
}

/**
 * The producer behind the request's API key. API Gateway has already refused a missing or unknown key;
 * a key that no producer owns is a configuration fault, and is refused too.
 */
export function producerOf(event: APIGatewayProxyEvent): Producer {
  const keyId = event.requestContext?.identity?.apiKeyId;
  const producer = keyId ? producers().get(keyId) : undefined;
  if (!producer) throw new ApiError(403, 'forbidden', 'this API key belongs to no producer');
  return producer;
}

/** The names of every producer the installation knows. */
export function producerNames(): string[] {
  return [...new Set([...producers().values()].map((producer) => producer.name))];
}

export function requireScope(event: APIGatewayProxyEvent, scope: Scope): Producer {
  const producer = producerOf(event);
  if (!hasScope(producer, scope)) {
    throw missingScope(producer, scope);
  }
  return producer;
}

/** 403 missing_scope, naming the scope the producer lacks (and the field that asked for it, if one did). */
export function missingScope(producer: Producer, scope: Scope, because?: { why: string; field: string }): ApiError {
  const message = `producer "${producer.name}" lacks the scope ${scope}${because ? `, which ${because.why}` : ''}`;
  return new ApiError(403, 'missing_scope', message, because ? [{ field: because.field, message }] : undefined);
}

/** A producer may send, and write the template of, only a type it owns. */
export function requireTypeOwnership(producer: Producer, type: string): void {
  if (ownsType(producer, type)) return;
  throw new ApiError(403, 'type_not_allowed', `producer "${producer.name}" may not use the type "${type}"`, [
    { field: 'type', message: `is not one of the types ${producer.name} owns (${producer.types.join(', ')})` },
  ]);
}

/** 403 not_owner for a topic another producer owns (domain/topic-ownership.ts), naming the field, as a template's is. */
export function notTopicOwner(topic: string): ApiError {
  return new ApiError(403, 'not_owner', `the topic ${topic} belongs to another producer`, [
    { field: 'topic', message: 'belongs to another producer; only it, or a producer with the admin scope, may use it' },
  ]);
}
