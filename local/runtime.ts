/**
 * The whole platform on one machine: the AWS emulators (started only if nothing answers), the tables,
 * queues and push applications from the same config as the CDK stack, the real handlers behind an
 * emulation of API Gateway, one poller per channel queue feeding the real workers, the local
 * Twilio-compatible server, and an outbox of everything delivered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { SCOPES } from '../lambdas/shared/domain/producer.js';
import { ENV } from '../lambdas/shared/environment.js';
import { validatePlatformSettings } from '../lib/config/platform-settings.js';
import { CHANNEL_QUEUES, CHANNELS, type Channel } from '../lib/platform-config.js';
import config from '../platform.config.js';
import { ApiGatewayEmulation, type ApiHandler, type LocalProducer, lambdaContext } from './api-gateway-emulation.js';
import { seedDemo } from './demo.js';
import { endpointFor, integrationEnvironment } from './emulator-environment.js';
import { ensureEmulators, localEmulatorEndpoints, runEmulatorScript } from './emulators.js';
import { faultDrillFromEnv } from './fault-drill.js';
import { outboxPage, readOutbox } from './outbox.js';
import { functionEnvironment, type LocalResources, provisionLocalResources } from './provision.js';
import { QueuePoller, type SqsHandler } from './queue-pollers.js';
import { startTwilioSandbox, type TwilioSandbox } from './twilio-sandbox.js';

export interface LocalPlatformOptions {
  readonly port: number;
  /** Seed the example templates and user. */
  readonly demo: boolean;
  /** Prefix of the tables, queues and push applications. */
  readonly prefix: string;
  /** The key of the local producer that has every scope. */
  readonly localApiKey: string;
  readonly log: (line: Record<string, unknown>) => void;
}

export interface LocalPlatform {
  readonly url: string;
  readonly producers: readonly LocalProducer[];
  /** The Twilio-compatible server the SMS worker talks to (benchmarks stall it). */
  readonly twilio: TwilioSandbox;
  readonly resources: LocalResources;
  /** Stops (or resumes) feeding the workers, as disabling their event source mappings would. */
  pauseDeliveries(paused: boolean): void;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop what uses it, or start with PORT=<another port>`);
    this.name = 'PortInUseError';
  }
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const { log } = options;
  const settings = validatePlatformSettings(config);
  const drill = faultDrillFromEnv(process.env);
  // Bind first: a taken port is the most likely mistake and should cost nothing to learn.
  const server = createServer();
  await listen(server, options.port);
  const cleanups: (() => Promise<unknown>)[] = [() => new Promise((resolve) => server.close(resolve))];
  const stop = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: Error) => log({ event: 'stop_failed', error: error.message }));
  };
  try {
    Object.assign(process.env, integrationEnvironment(process.env, localEmulatorEndpoints()), {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const started = await ensureEmulators(process.env);
    if (started.length > 0) {
      log({ event: 'started_emulators', emulators: started });
      cleanups.push(async () => runEmulatorScript('stop', ...started));
    }

    const clients = {
      dynamoDb: new DynamoDBClient({}),
      sqs: new SQSClient({}),
      sns: new SNSClient({}),
    };
    const resources = await provisionLocalResources(clients, options.prefix, {
      visibilityTimeoutSeconds: drill?.visibilityTimeoutSeconds,
    });
    await new SESClient({}).send(new VerifyEmailIdentityCommand({ EmailAddress: settings.email.sender }));
    const twilio = await startTwilioSandbox();
    cleanups.push(() => twilio.stop());

    const producers: LocalProducer[] = [
      {
        keyId: 'local-developer',
        keyValue: options.localApiKey,
        settings: {
          name: 'local-developer',
          scopes: [...SCOPES],
          rateLimit: 100,
          burstLimit: 200,
          dailyQuota: 1_000_000,
        },
      },
      ...settings.producers.map((producer) => ({
        keyId: `local-${producer.name}`,
        keyValue: `local-${producer.name}-key`,
        settings: producer,
      })),
    ];
    Object.assign(process.env, functionEnvironment(resources), {
      [ENV.producers]: JSON.stringify(
        producers.map((producer) => ({
          key_id: producer.keyId,
          name: producer.settings.name,
          scopes: producer.settings.scopes,
        })),
      ),
      [ENV.sesSender]: settings.email.sender,
      [ENV.deliveryAttempts]: String(CHANNEL_QUEUES.email.deliveryAttempts),
      [ENV.templateCacheSeconds]: '5',
      [ENV.twilioAccountSid]: twilio.accountSid,
      [ENV.twilioAuthToken]: twilio.authToken,
      [ENV.twilioMessagingServiceSid]: 'MG00000000000000000000000000000001',
      [ENV.twilioApiBaseUrl]: drill?.twilioUrl ?? twilio.url,
      ...(drill?.claimLeaseSeconds ? { [ENV.claimLeaseSeconds]: String(drill.claimLeaseSeconds) } : {}),
      ...(drill?.retryBaseSeconds ? { [ENV.retryBaseSeconds]: String(drill.retryBaseSeconds) } : {}),
      POWERTOOLS_SERVICE_NAME: 'local',
      POWERTOOLS_METRICS_NAMESPACE: 'NotificationPlatformLocal',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });

    // The handlers read their configuration when their modules load, as in Lambda: import them now.
    const handlers = await loadHandlers();
    if (drill) {
      log({ event: 'fault_drill', ...drill });
      const { FaultInjection } = await import('./fault-injection.js');
      const injection = new FaultInjection(drill);
      injection.install();
      const ingest = handlers.api.ingest as ApiHandler;
      handlers.api.ingest = (event, context) => injection.ingest(() => ingest(event, context));
    }
    const gateway = new ApiGatewayEmulation(producers, handlers.api);
    const documents = DynamoDBDocument.from(clients.dynamoDb);
    const outboxSources = {
      localStackUrl: endpointFor('SES', process.env) ?? '',
      region: process.env.AWS_REGION ?? 'us-east-1',
      twilio,
      documents,
      notificationsTable: resources.tables.notifications,
      devicesTable: resources.tables.devices,
    };
    server.on('request', (request, response) => {
      void serve(request, response, gateway, outboxSources, log);
    });

    // Long polls wait up to 5 s, longer than the platform clients' request timeout.
    const pollingClient = new SQSClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } });
    const pollers = CHANNELS.map(
      (channel) =>
        new QueuePoller(pollingClient, {
          name: `${channel}-worker`,
          queueUrl: resources.queues[channel].url,
          batchSize: settings.channels[channel].batchSize,
          concurrency: settings.channels[channel].maxConcurrency,
          handler: handlers.workers[channel],
          context: lambdaContext,
          duplicateDeliveries: drill?.duplicateDeliveries ?? false,
          onDuplicated: (records, concurrently) =>
            log({ event: 'fault_drill_duplicated', channel, records: records.length, concurrently }),
          onRecord: (record, outcome) =>
            log({
              event: 'delivery',
              channel,
              outcome,
              notification_id: record.messageAttributes.notification_id?.stringValue,
              attempt: Number(record.attributes.ApproximateReceiveCount),
            }),
          onError: (error) => log({ event: 'poller_error', channel, error: error.message }),
        }),
    );
    cleanups.push(() => Promise.all(pollers.map((poller) => poller.stop())));

    if (options.demo) await seedDemo(gateway, options.localApiKey);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    return {
      url: `http://127.0.0.1:${port}`,
      producers,
      twilio,
      resources,
      pauseDeliveries: (paused) => {
        for (const poller of pollers) poller.pause(paused);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

async function loadHandlers() {
  const [ingest, status, preferences, contacts, devices, templates, email, sms, push] = await Promise.all([
    import('../lambdas/ingest/handler.js'),
    import('../lambdas/notification-status/handler.js'),
    import('../lambdas/preferences/handler.js'),
    import('../lambdas/contacts/handler.js'),
    import('../lambdas/devices/handler.js'),
    import('../lambdas/templates/handler.js'),
    import('../lambdas/email-worker/handler.js'),
    import('../lambdas/sms-worker/handler.js'),
    import('../lambdas/push-worker/handler.js'),
  ]);
  const api: Record<string, ApiHandler> = {
    ingest: ingest.handler,
    'notification-status': status.handler,
    preferences: preferences.handler,
    contacts: contacts.handler,
    devices: devices.handler,
    templates: templates.handler,
  };
  const workers: Record<Channel, SqsHandler> = { email: email.handler, sms: sms.handler, push: push.handler };
  return { api, workers };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  gateway: ApiGatewayEmulation,
  outboxSources: Parameters<typeof readOutbox>[0],
  log: LocalPlatformOptions['log'],
): Promise<void> {
  const started = Date.now();
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method === 'GET' && path === '/_local/outbox') {
      const messages = await readOutbox(outboxSources);
      const html = (request.headers.accept ?? '').includes('text/html');
      response.writeHead(200, { 'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json' });
      response.end(html ? outboxPage(messages) : JSON.stringify({ messages }));
      return;
    }
    const answer = await gateway.answer({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body: Buffer.concat(chunks),
      remoteAddress: request.socket.remoteAddress,
    });
    response.writeHead(answer.statusCode, answer.headers);
    response.end(answer.body);
    log({
      event: 'request',
      method: request.method,
      path,
      status: answer.statusCode,
      function: answer.handler,
      ms: Date.now() - started,
    });
  } catch (error) {
    log({ event: 'request_failed', method: request.method, error: (error as Error).message });
    if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
    response.end('{"message":"Internal server error"}');
  }
}
