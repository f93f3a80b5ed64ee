import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { deviceRegistrationSchema } from '../../lambdas/channels/push/device-registration.js';
import { ApiError } from '../../lambdas/shared/http/api-error.js';
import { MAX_BODY_BYTES, parseJsonBody } from '../../lambdas/shared/http/request.js';
import { contactsSchema } from '../../lambdas/shared/schemas/contacts.js';
import { nestingDepth, notificationRequestSchema } from '../../lambdas/shared/schemas/notification-request.js';
import { preferencesSchema } from '../../lambdas/shared/schemas/preferences.js';
import { templateSchema } from '../../lambdas/shared/schemas/template.js';

function eventWith(body: string | null, contentType: string | undefined = 'application/json'): APIGatewayProxyEvent {
  return { body, headers: contentType ? { 'content-type': contentType } : {}, isBase64Encoded: false } as never;
}

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

const fieldsOf = (error: ApiError) => (error.details ?? []).map((detail) => detail.field);

const validNotification = { user_id: 'user-1', type: 'order_shipped', payload: { order_id: 'A-1' } };
const validPreferences = {
  email: true,
  sms: true,
  push: false,
  quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' },
};

describe('parseJsonBody', () => {
  it('accepts JSON with a charset and fills defaults', () => {
    const parsed = parseJsonBody(
      eventWith(JSON.stringify(validPreferences), 'application/json; charset=utf-8'),
      preferencesSchema,
    );

    expect(parsed.quiet_hours?.channels).toEqual(['sms', 'push']);
  });

  it('refuses a body that is not declared JSON with 415 naming Content-Type', () => {
    const error = refusal(() => parseJsonBody(eventWith('{}', 'text/plain'), notificationRequestSchema));

    expect(error.statusCode).toBe(415);
    expect(fieldsOf(error)).toEqual(['Content-Type']);
  });

  it('refuses a missing body, malformed JSON and an oversized body', () => {
    expect(fieldsOf(refusal(() => parseJsonBody(eventWith(null), notificationRequestSchema)))).toEqual(['body']);
    expect(refusal(() => parseJsonBody(eventWith('{"a":'), notificationRequestSchema)).code).toBe('malformed_json');
    expect(
      refusal(() => parseJsonBody(eventWith(`"${'x'.repeat(MAX_BODY_BYTES)}"`), notificationRequestSchema)).statusCode,
    ).toBe(413);
  });

  it('reads a base64-encoded body as API Gateway passes binary media', () => {
    const event = {
      ...eventWith(Buffer.from(JSON.stringify(validNotification)).toString('base64')),
      isBase64Encoded: true,
    };

    expect(parseJsonBody(event, notificationRequestSchema)).toEqual(validNotification);
  });
});

describe('the notification request', () => {
  const refusedFields = (body: unknown) =>
    fieldsOf(refusal(() => parseJsonBody(eventWith(JSON.stringify(body)), notificationRequestSchema)));

  it.each([
    ['user_id', { ...validNotification, user_id: '' }],
    ['user_id', { ...validNotification, user_id: 'a'.repeat(129) }],
    ['user_id', { ...validNotification, user_id: 'ümlaut' }],
    ['user_id', { ...validNotification, user_id: 42 }],
    // Ids go into keys and log lines: they must not be personal data themselves.
    ['user_id', { ...validNotification, user_id: 'ada@example.com' }],
    ['user_id', { ...validNotification, user_id: '+4915112345678' }],
    ['user_id', { ...validNotification, user_id: '4915112345678' }],
    ['type', { ...validNotification, type: 'Order' }],
    ['type', { ...validNotification, type: 'a'.repeat(65) }],
    ['payload', { ...validNotification, payload: null }],
    ['payload', { ...validNotification, payload: [] }],
    ['payload', { ...validNotification, payload: { big: 'x'.repeat(16 * 1024) } }],
    ['channels', { ...validNotification, channels: ['sms', 'sms'] }],
    ['channels', { ...validNotification, channels: 'sms' }],
    ['channels.1', { ...validNotification, channels: ['sms', 'pigeon'] }],
    ['extra', { ...validNotification, extra: 1 }],
  ])('names %s', (field, body) => {
    expect(refusedFields(body)).toContain(field);
  });

  it('names every missing field at once', () => {
    expect(refusedFields({})).toEqual(['type', 'payload', 'user_id']);
  });

  it('refuses, naming payload, a number DynamoDB could not keep (a scheduled or broadcast payload is stored)', () => {
    const request = { user_id: 'u-1', type: 'order_shipped' };

    expect(refusedFields({ ...request, payload: { total: 1.79e308 } })).toEqual(['payload']);
    expect(refusedFields({ ...request, payload: { items: [{ weight: 1e-200 }] } })).toEqual(['payload']);
    expect(
      notificationRequestSchema.safeParse({ ...request, payload: { total: 9_007_199_254_740_991, tax: 0.07 } }).success,
    ).toBe(true);
  });

  it('takes a topic instead of a person (a broadcast), but not both, and not a topic that is not a name', () => {
    const broadcast = { type: 'order_shipped', payload: {} };

    expect(notificationRequestSchema.safeParse({ ...broadcast, topic: 'status' }).success).toBe(true);
    expect(refusedFields({ ...broadcast, topic: 'status', user_id: 'u-1' })).toEqual(['user_id']);
    expect(refusedFields({ ...broadcast, topic: 'Status Page' })).toEqual(['topic']);
  });

  it('refuses a payload nested deeper than 32 levels with a 400 naming payload, not a stack overflow', () => {
    // About 20 KB of JSON, 10,000 levels deep: a recursive walk (JSON.stringify) overflows on it.
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const body = `{"user_id":"u","type":"order_shipped","payload":${deep}}`;

    const refused = refusal(() => parseJsonBody(eventWith(body), notificationRequestSchema));

    expect(refused.statusCode).toBe(400);
    expect(fieldsOf(refused)).toEqual(['payload']);
    expect(refused.details?.[0]?.message).toMatch(/more than 32 levels/);
  });

  it.each([
    ['objects', (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`],
    ['arrays', (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`],
  ])('accepts %s nested 32 levels deep and refuses 33', (_kind, nested) => {
    const body = (levels: number) => `{"user_id":"u","type":"order_shipped","payload":${nested(levels)}}`;

    expect(nestingDepth(JSON.parse(nested(32)), 100)).toBe(32);
    expect(() => parseJsonBody(eventWith(body(32)), notificationRequestSchema)).not.toThrow();
    expect(fieldsOf(refusal(() => parseJsonBody(eventWith(body(33)), notificationRequestSchema)))).toEqual(['payload']);
  });
});

describe('the other documents', () => {
  it.each([
    ['quiet_hours.start', { ...validPreferences, quiet_hours: { ...validPreferences.quiet_hours, start: '7:00' } }],
    [
      'quiet_hours.end',
      { ...validPreferences, quiet_hours: { ...validPreferences.quiet_hours, end: '22:00', start: '22:00' } },
    ],
    [
      'quiet_hours.timezone',
      { ...validPreferences, quiet_hours: { ...validPreferences.quiet_hours, timezone: 'CEST' } },
    ],
    ['quiet_hours.channels', { ...validPreferences, quiet_hours: { ...validPreferences.quiet_hours, channels: [] } }],
    ['email', { ...validPreferences, email: 1 }],
  ])('preferences: names %s', (field, body) => {
    expect(fieldsOf(refusal(() => parseJsonBody(eventWith(JSON.stringify(body)), preferencesSchema)))).toContain(field);
  });

  it.each([
    ['phone_number', { phone_number: '+49 151 1234' }],
    ['email_address', { email_address: 'a@b' }],
    ['email_address', { email_address: `${'a'.repeat(250)}@example.com` }],
    ['locale', { locale: 'xx_YY_ZZ_' }],
  ])('contacts: names %s', (field, body) => {
    expect(fieldsOf(refusal(() => parseJsonBody(eventWith(JSON.stringify(body)), contactsSchema)))).toContain(field);
  });

  it.each([
    ['token', { platform: 'apns', token: 'z'.repeat(64) }],
    ['platform', { platform: 'gcm', token: 'x'.repeat(64) }],
  ])('devices: names %s', (field, body) => {
    expect(fieldsOf(refusal(() => parseJsonBody(eventWith(JSON.stringify(body)), deviceRegistrationSchema)))).toContain(
      field,
    );
  });

  it.each([
    ['email.subject', { email: { subject: '', body: 'x' } }],
    ['sms.body', { sms: { body: 'x'.repeat(1601) } }],
    ['push.title', { push: { body: 'x' } }],
    ['critical', { critical: 'yes', sms: { body: 'x' } }],
  ])('templates: names %s', (field, body) => {
    expect(fieldsOf(refusal(() => parseJsonBody(eventWith(JSON.stringify(body)), templateSchema)))).toContain(field);
  });
});
