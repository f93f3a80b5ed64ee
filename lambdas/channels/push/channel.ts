import * as z from '../../shared/schemas/zod.js';
import type { ChannelDefinition } from '../channel-definition.js';
import { liquidSource } from '../liquid-source.js';

/** Mobile push through SNS platform applications (APNs and FCM), to the devices a person registered. */
export const pushChannel = {
  name: 'push',
  templatePart: z.strictObject({ title: liquidSource(256), body: liquidSource(4_000) }),
  reachable: (person) => person.deviceCount > 0,
  quietByDefault: true,
  settings: z.strictObject({
    apnsPlatformApplicationArn: z.optional(z.string().check(z.startsWith('arn:'))),
    fcmPlatformApplicationArn: z.optional(z.string().check(z.startsWith('arn:'))),
    /** Devices one person may hold; registering one more forgets the oldest. */
    maxDevicesPerUser: z.int().check(z.gte(1), z.lte(100)),
  }),
} as const satisfies ChannelDefinition<'push'>;

/** What the devices API reads (the push worker finds devices through the devices table). */
export const PUSH_VARIABLES = {
  /** Devices one person may hold; registering one more forgets the oldest. */
  maxDevicesPerUser: 'MAX_DEVICES_PER_USER',
  apnsPlatformApplicationArn: 'APNS_PLATFORM_APPLICATION_ARN',
  fcmPlatformApplicationArn: 'FCM_PLATFORM_APPLICATION_ARN',
} as const;
