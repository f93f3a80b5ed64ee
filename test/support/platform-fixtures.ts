/**
 * Puts users and templates in place through the real control-plane handlers, as a producer would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { invoke } from './api-gateway.js';

type Handler = Parameters<typeof invoke>[0];

export interface ControlPlane {
  readonly templates: Handler;
  readonly preferences: Handler;
  readonly contacts: Handler;
  readonly devices: Handler;
}

export async function loadControlPlane(): Promise<ControlPlane> {
  const [templates, preferences, contacts, devices] = await Promise.all([
    import('../../lambdas/templates/handler.js'),
    import('../../lambdas/preferences/handler.js'),
    import('../../lambdas/contacts/handler.js'),
    import('../../lambdas/devices/handler.js'),
  ]);
  return {
    templates: templates.handler,
    preferences: preferences.handler,
    contacts: contacts.handler,
    devices: devices.handler,
  };
}

export async function saveTemplate(plane: ControlPlane, type: string, template: object): Promise<void> {
  const answer = await invoke(plane.templates, {
    operation: 'putTemplate',
    pathParameters: { type },
    body: template,
  });
  expect(answer.statusCode, JSON.stringify(answer.json)).toBe(200);
}

export interface UserSetup {
  readonly email?: boolean;
  /** true for a valid number, or the number to use. */
  readonly phone?: boolean | string;
  readonly device?: boolean;
  readonly preferences?: object;
}

/** A new user with the contacts asked for (all by default) and, if given, preferences. */
export async function createUser(plane: ControlPlane, setup: UserSetup = {}): Promise<string> {
  const userId = `user-${randomUUID()}`;
  const { email = true, phone = true, device = true } = setup;
  const contacts = await invoke(plane.contacts, {
    operation: 'putContacts',
    pathParameters: { user_id: userId },
    body: {
      ...(email ? { email_address: `${userId}@example.com` } : {}),
      ...(phone ? { phone_number: typeof phone === 'string' ? phone : '+4915112345678' } : {}),
    },
  });
  expect(contacts.statusCode).toBe(200);
  if (device) {
    const registered = await invoke(plane.devices, {
      operation: 'registerDevice',
      pathParameters: { user_id: userId },
      body: { platform: 'fcm', token: `fcm-${randomBytes(48).toString('base64url')}` },
    });
    expect(registered.statusCode).toBe(201);
  }
  if (setup.preferences) {
    const saved = await invoke(plane.preferences, {
      operation: 'putPreferences',
      pathParameters: { user_id: userId },
      body: setup.preferences,
    });
    expect(saved.statusCode, JSON.stringify(saved.json)).toBe(200);
  }
  return userId;
}

export const ALL_CHANNEL_TEMPLATE = {
  email: { subject: 'Order {{ order_id }} shipped', body: '<p>Your order {{ order_id }} is on its way.</p>' },
  sms: { body: 'Order {{ order_id }} shipped' },
  push: { title: 'Order shipped', body: 'Order {{ order_id }} is on its way' },
};
