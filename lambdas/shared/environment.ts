/**
 * The environment variables the functions read. The CDK constructs set them and the local runtime and
 * tests set them, all through these names, so a rename cannot leave one side behind.
 */
export const ENV = {
  usersTable: 'USERS_TABLE',
  devicesTable: 'DEVICES_TABLE',
  notificationsTable: 'NOTIFICATIONS_TABLE',
  templatesTable: 'TEMPLATES_TABLE',
  emailQueueUrl: 'EMAIL_QUEUE_URL',
  smsQueueUrl: 'SMS_QUEUE_URL',
  pushQueueUrl: 'PUSH_QUEUE_URL',
  /** JSON: API Gateway key id -> { name, scopes }. */
  producers: 'PRODUCERS',
  /** When set, the ingest path reads users through this DAX cluster endpoint. */
  daxEndpoint: 'DAX_ENDPOINT',
  templateCacheSeconds: 'TEMPLATE_CACHE_SECONDS',
  apnsPlatformApplicationArn: 'APNS_PLATFORM_APPLICATION_ARN',
  fcmPlatformApplicationArn: 'FCM_PLATFORM_APPLICATION_ARN',
} as const;

export class MissingConfigurationError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
    this.name = 'MissingConfigurationError';
  }
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingConfigurationError(name);
  return value;
}

export function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}
