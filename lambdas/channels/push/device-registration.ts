import * as z from '../../shared/schemas/zod.js';

export const PUSH_PLATFORMS = ['apns', 'fcm'] as const;
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];

// APNs device tokens are hex (32 bytes today, longer allowed); FCM registration tokens are URL-safe text.
const TOKEN_FORMATS: Record<PushPlatform, { pattern: RegExp; description: string }> = {
  apns: { pattern: /^[0-9a-fA-F]{64,200}$/, description: 'an APNs device token (64 to 200 hex digits)' },
  fcm: { pattern: /^[A-Za-z0-9_:.-]{20,4096}$/, description: 'an FCM registration token' },
};

export const deviceRegistrationSchema = z
  .strictObject({
    platform: z.enum(PUSH_PLATFORMS, { message: 'must be "apns" or "fcm"' }),
    token: z.string(),
  })
  .check(
    z.superRefine((device, context) => {
      const format = TOKEN_FORMATS[device.platform];
      if (!format.pattern.test(device.token)) {
        context.addIssue({ code: 'custom', path: ['token'], message: `must be ${format.description}` });
      }
    }),
    // The same rule, for the OpenAPI description: each platform's token format.
    z.meta({
      anyOf: PUSH_PLATFORMS.map((platform) => ({
        properties: {
          platform: { enum: [platform] },
          token: { pattern: TOKEN_FORMATS[platform].pattern.source, description: TOKEN_FORMATS[platform].description },
        },
      })),
    }),
  );

export type DeviceRegistration = z.infer<typeof deviceRegistrationSchema>;
