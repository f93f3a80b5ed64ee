/**
 * AWS clients for the integration tests, built exactly as the platform builds its own (no endpoint,
 * awsClientDefaults), plus one middleware: a connection failure names the service and the endpoint
 * it tried, so a stopped or blocked emulator reads as such and not as a riddle.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientDefaults } from '../../lambdas/shared/aws/client-defaults.js';
import {
  type EmulatedService,
  EmulatorUnreachableError,
  endpointFor,
  isConnectionFailure,
} from '../../local/emulator-environment.js';

interface ClientWithMiddleware {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: object,
    ): void;
  };
}

function explainUnreachable<Client>(client: Client, service: EmulatedService): Client {
  (client as ClientWithMiddleware).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isConnectionFailure(error))
          throw new EmulatorUnreachableError(service, endpointFor(service, process.env), error);
        throw error;
      }
    },
    { step: 'initialize', name: 'explainUnreachableEmulator' },
  );
  return client;
}

export const dynamoDb = explainUnreachable(new DynamoDBClient(awsClientDefaults), 'DYNAMODB');
export const sqs = explainUnreachable(new SQSClient(awsClientDefaults), 'SQS');
export const ses = explainUnreachable(new SESClient(awsClientDefaults), 'SES');
export const sns = explainUnreachable(new SNSClient(awsClientDefaults), 'SNS');
export const secretsManager = explainUnreachable(new SecretsManagerClient(awsClientDefaults), 'SECRETS_MANAGER');

const INSPECTION_ATTEMPTS = 4;
const INSPECTION_TIMEOUT_MS = 10_000;

/**
 * GET one of LocalStack's own inspection endpoints (`/_aws/...`), which hold what the emulated
 * service "delivered": the only way to see an email or a push message that nobody can receive here.
 * A busy machine can keep LocalStack from answering for a while, so an attempt that gets no answer is repeated
 * after 1, 2 and 4 s before the emulator is declared unreachable: a GET changes nothing, and a verdict must not
 * depend on how busy the machine was.
 */
export async function readFromLocalStack<T>(
  service: EmulatedService,
  path: string,
  headers: Record<string, string> = {},
): Promise<T> {
  const endpoint = endpointFor(service, process.env);
  if (!endpoint) throw new Error(`${service} has no endpoint: set AWS_ENDPOINT_URL to reach LocalStack's ${path}`);
  const url = new URL(path, endpoint);
  let response: Response | undefined;
  for (let attempt = 1; !response; attempt++) {
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(INSPECTION_TIMEOUT_MS) });
    } catch (error) {
      if (attempt >= INSPECTION_ATTEMPTS) throw new EmulatorUnreachableError(service, endpoint, error);
      await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** (attempt - 1)));
    }
  }
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
