/**
 * Which endpoints the integration tests talk to, and what to say when one does not answer.
 * Pure: no I/O, so the rules are unit-tested.
 */

/**
 * The services the platform depends on, by the suffix the SDK reads in AWS_ENDPOINT_URL_<SERVICE>. Secrets Manager
 * holds the secrets the deployed functions read (locally they come from the environment); the tests rotate them there.
 */
export const EMULATED_SERVICES = ['SQS', 'SNS', 'SES', 'SECRETS_MANAGER', 'DYNAMODB'] as const;
export type EmulatedService = (typeof EMULATED_SERVICES)[number];

/** Which local emulator of scripts/emulator.sh serves a service. */
export function emulatorFor(service: EmulatedService): 'localstack' | 'dynamodb' {
  return service === 'DYNAMODB' ? 'dynamodb' : 'localstack';
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The variables a test process needs. What the user set wins: AWS_ENDPOINT_URL alone sends every
 * service there (a LocalStack container serves all four); with nothing set, the local emulators'
 * endpoints (`scripts/emulator.sh env`) are used. Emulators accept any credentials, but the SDK
 * refuses to sign without some.
 */
export function integrationEnvironment(
  env: Environment,
  localEndpoints: Record<string, string>,
): Record<string, string> {
  const resolved: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...(env.AWS_ENDPOINT_URL ? {} : localEndpoints),
  };
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('AWS_') && value) resolved[name] = value;
  }
  return resolved;
}

/** The endpoint the SDK will use for a service, as it resolves it: the service's own variable first. */
export function endpointFor(service: EmulatedService, env: Environment): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
]);

/** True when an error says the endpoint could not be reached, rather than that it answered with an error. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, name, cause } = error as Error & { code?: string };
  if (code && CONNECTION_FAILURES.has(code)) return true;
  if (name === 'TimeoutError') return true;
  return cause !== undefined && isConnectionFailure(cause);
}

export class EmulatorUnreachableError extends Error {
  constructor(
    readonly service: string,
    readonly endpoint: string | undefined,
    cause: unknown,
  ) {
    const reason =
      cause instanceof Error ? ((cause as Error & { code?: string }).code ?? cause.message) : String(cause);
    super(
      `${service} did not answer at ${endpoint ?? "AWS's default endpoint"} (${reason}). ` +
        'Start the local emulators with `scripts/emulator.sh start`, or point AWS_ENDPOINT_URL ' +
        '(and AWS_ENDPOINT_URL_DYNAMODB) at a running LocalStack.',
      { cause },
    );
    this.name = 'EmulatorUnreachableError';
  }
}
