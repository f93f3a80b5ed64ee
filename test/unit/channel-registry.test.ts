import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANNEL_DEFINITIONS, CHANNELS } from '../../lambdas/channels/registry.js';
import { DEFAULT_PREFERENCES } from '../../lambdas/shared/domain/preferences.js';
import { contactsSchema } from '../../lambdas/shared/schemas/contacts.js';
import { preferencesSchema } from '../../lambdas/shared/schemas/preferences.js';
import { templateSchema } from '../../lambdas/shared/schemas/template.js';

/** What every channel's folder holds (CONTRIBUTING.md, "Adding a channel"), and what each file must export. */
const FOLDER: Record<string, string> = {
  'channel.ts': 'its definition, registered in registry.ts',
  'handler.ts': 'handler',
  'deliverer.ts': 'its ChannelDeliverer',
  'provider-errors.ts': "its provider's error rules",
  'render.ts': 'render',
  'infrastructure.ts': 'infrastructure',
  'outbox.ts': 'readProviderMessages',
};

describe('the channel registry', () => {
  it.each(CHANNELS)('finds every part of the %s channel in its folder', async (channel) => {
    for (const file of Object.keys(FOLDER)) {
      const url = new URL(`../../lambdas/channels/${channel}/${file}`, import.meta.url);
      expect(existsSync(url), `lambdas/channels/${channel}/${file}: ${FOLDER[file]}`).toBe(true);
    }
    expect(CHANNEL_DEFINITIONS[channel].name).toBe(channel);
  });

  it('gives every channel a switch in the preferences, a part in templates, and its contact in contacts', () => {
    expect(Object.keys(preferencesSchema.shape)).toEqual([...CHANNELS, 'quiet_hours', 'categories', 'unsubscribed']);
    expect(Object.keys(DEFAULT_PREFERENCES)).toEqual([...CHANNELS, 'quiet_hours', 'categories']);
    expect(Object.keys(templateSchema.shape)).toEqual([
      'critical',
      'category',
      'throttle',
      'digest',
      ...CHANNELS,
      'locales',
    ]);
    const contactFields = CHANNELS.flatMap((channel) => {
      const definition = CHANNEL_DEFINITIONS[channel];
      return 'contact' in definition ? [definition.contact.field] : [];
    });
    expect(Object.keys(contactsSchema.shape)).toEqual([...contactFields, 'locale']);
  });

  it('refuses a template with no channel, naming every channel it could have', () => {
    const result = templateSchema.safeParse({ critical: true });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(`must have at least one of ${CHANNELS.join(', ')}`);
  });
});
