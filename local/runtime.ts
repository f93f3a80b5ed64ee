/**
 * The whole platform on one machine: the AWS emulators (started only if nothing answers), the tables,
 * queues and push applications from the same config as the CDK stack, the real handlers behind an
 * emulation of API Gateway, one process per channel worker fed by a poller of its queue, the local
 * Twilio-compatible server, and an outbox of everything delivered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { EMAIL_VARIABLES } from '../lambdas/channels/email/channel.js';
import { PUSH_VARIABLES } from '../lambdas/channels/push/channel.js';
import type { Channel } from '../lambdas/channels/registry.js';
import { e164PhoneNumberSchema, SMS_VARIABLES, smsWording } from '../lambdas/channels/sms/channel.js';
import { SCOPES } from '../lambdas/shared/domain/producer.js';
import { BODY_TOO_LARGE_ANSWER } from '../lambdas/shared/http/request.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { API_FUNCTIONS, type ApiFunction, OPERATIONS } from '../lambdas/shared/platform/operations.js';
import { EVENT_PUBLISHER, HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
import { keylessRoutesApart, producerApiPolicy } from '../lib/api-resource-policy.js';
import { categoryCatalogue, linkLifetimesVariable, validatePlatformSettings } from '../lib/settings.js';
import config from '../platform.config.js';
import {
  ApiGatewayEmulation,
  type ApiHandler,
  type LocalProducer,
  lambdaContext,
  maxBodyBytesFor,
} from './api-gateway-emulation.js';
import { startFanOut } from './broadcasts.js';
import { ChannelWorkers } from './channel-workers.js';
import { seedDemo } from './demo.js';
import { endpointFor, integrationEnvironment } from './emulator-environment.js';
import { ensureEmulators, localEmulatorEndpoints, runEmulatorScript } from './emulators.js';
import { type FaultDrill, faultDrillFromEnv } from './fault-drill.js';
import { loadHandler, pollingSqsClient } from './lambda-handler.js';
import { LOCAL_CONSENT_KEYS, LOCAL_SUPPRESSION_KEYS } from './local-secrets.js';
import { readOutbox } from './outbox.js';
import { outboxPage } from './outbox-page.js';
import { functionEnvironment, type LocalResources, provisionLocalResources } from './provision.js';
import { QueuePoller, type SqsHandler } from './queue-pollers.js';
import { startScheduler } from './scheduler.js';
import { SesMailboxSimulator } from './ses-mailbox-simulator.js';
import { type StreamHandler, StreamPoller } from './stream-poller.js';
import { startTwilioSandbox, type TwilioSandbox } from './twilio-sandbox.js';
import { localWebhookEnvironment, startWebhooks } from './webhooks.js';

export interface LocalPlatformOptions {
  readonly port: number;
  /** Seed the example templates and user. */
  readonly demo: boolean;
  /** Prefix of the tables, queues and push applications. */
  readonly prefix: string;
  /** The key of the local producer that has every scope. */
  readonly localApiKey: string;
  /** The auth token the Twilio-compatible server signs its webhooks with (TWILIO_AUTH_TOKEN); a fixed one if none. */
  readonly twilioAuthToken?: string;
  /** Instead of platform.config.ts's `api.allowedSources`: the resource policy the local gateway enforces. */
  readonly allowedSources?: unknown;
  /** Changes to platform.config.ts's channel settings for this run only (a benchmark's bulk lanes, unpaced). */
  readonly channels?: (channels: typeof config.channels) => typeof config.channels;
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
  const settings = validatePlatformSettings({
    ...config,
    // LOCAL_ALLOWED_SOURCES tries api.allowedSources here without changing what `cdk deploy` deploys.
    api: { ...config.api, ...(options.allowedSources ? { allowedSources: options.allowedSources } : {}) },
    channels: options.channels ? options.channels(structuredClone(config.channels)) : config.channels,
  });
  const drill = faultDrillFromEnv(process.env);
  // Bind first: a taken port is the most likely mistake and should cost nothing to learn. Until the platform is
  // ready, every request is answered 503 with Retry-After, never left waiting.
  const server = createServer();
  let answer: (request: IncomingMessage, response: ServerResponse) => void = stillStarting;
  server.on('request', (request, response) => answer(request, response));
  await listen(server, options.port);
  const boundAddress = server.address();
  const localUrl = `http://127.0.0.1:${typeof boundAddress === 'object' && boundAddress ? boundAddress.port : options.port}`;
  const cleanups: (() => Promise<unknown>)[] = [() => new Promise((resolve) => server.close(resolve))];
  const stop = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: Error) => log({ event: 'stop_failed', error: error.message }));
  };
  try {
    Object.assign(process.env, integrationEnvironment(process.env, localEmulatorEndpoints()));
    const started = await ensureEmulators(process.env);
    if (started.length > 0) {
      log({ event: 'started_emulators', emulators: started });
      cleanups.push(async () => runEmulatorScript('stop', ...started));
    }

    const clients = {
      dynamoDb: new DynamoDBClient({}),
      sqs: new SQSClient({}),
      sns: new SNSClient({}),
      ses: new SESClient({}),
      events: new EventBridgeClient({}),
    };
    const resources = await provisionLocalResources(clients, options.prefix, {
      visibilityTimeoutSeconds: drill?.visibilityTimeoutSeconds,
    });
    await clients.ses.send(new VerifyEmailIdentityCommand({ EmailAddress: settings.email.sender }));
    log({ event: 'provisioned', prefix: options.prefix });
    const twilio = await startTwilioSandbox({ authToken: options.twilioAuthToken || undefined });
    cleanups.push(() => twilio.stop());

    const producers: LocalProducer[] = [
      {
        keyId: 'local-developer',
        keyValue: options.localApiKey,
        settings: {
          name: 'local-developer',
          scopes: [...SCOPES],
          types: ['*'],
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
          types: producer.settings.types,
        })),
      ),
      [ENV.categories]: JSON.stringify(categoryCatalogue(settings)),
      [ENV.consentKeys]: process.env[ENV.consentKeys] || LOCAL_CONSENT_KEYS,
      [ENV.suppressionKeys]: process.env[ENV.suppressionKeys] || LOCAL_SUPPRESSION_KEYS,
      [ENV.linkLifetimes]: JSON.stringify(linkLifetimesVariable(settings)),
      [EMAIL_VARIABLES.sender]: settings.email.sender,
      [SMS_VARIABLES.wording]: JSON.stringify(smsWording(settings.sms)),
      [PUSH_VARIABLES.maxDevicesPerUser]: String(settings.push.maxDevicesPerUser),
      [ENV.templateCacheSeconds]: '5',
      [ENV.maxScheduleDays]: String(settings.schedule.maxDaysAhead),
      // Where Twilio (the local server) reports each text's status, as the deployed workers give the API's URL.
      [ENV.publicApiUrl]: `${localUrl}/v1`,
      [SMS_VARIABLES.twilioAccountSid]: twilio.accountSid,
      [SMS_VARIABLES.twilioAuthToken]: twilio.authToken,
      [SMS_VARIABLES.twilioMessagingServiceSid]: 'MG00000000000000000000000000000001',
      [SMS_VARIABLES.twilioApiBaseUrl]: drill?.twilioUrl ?? twilio.url,
      ...(drill?.retryBaseSeconds ? { [ENV.retryBaseSeconds]: String(drill.retryBaseSeconds) } : {}),
      ...localWebhookEnvironment(process.env),
      POWERTOOLS_SERVICE_NAME: 'local',
      POWERTOOLS_METRICS_NAMESPACE: 'NotificationPlatformLocal',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });

    // The handlers read their configuration when their modules load, as in Lambda: import them now.
    const handlers = await loadApiHandlers();
    if (drill) {
      log({ event: 'fault_drill', ...drill });
      const { IngestFaults } = await import('./fault-injection.js');
      const faults = new IngestFaults(drill);
      faults.install();
      const ingest = handlers.ingest;
      handlers.ingest = (event, context) => faults.ingest(() => ingest(event, context));
    }
    const gateway = new ApiGatewayEmulation(producers, handlers, {
      producerPolicy: producerApiPolicy(settings.api.allowedSources),
      keylessApart: keylessRoutesApart(settings.api.allowedSources),
      keylessThrottle: settings.api.keyless,
    });
    const documents = DynamoDBDocument.from(clients.dynamoDb);
    const outboxSources = {
      localStackUrl: endpointFor('SES', process.env) ?? '',
      region: process.env.AWS_REGION ?? 'us-east-1',
      twilio,
      documents,
      notificationsTable: resources.tables.notifications,
      devicesTable: resources.tables.devices,
      webhooksTable: resources.tables.webhooks,
    };

    const workers = await ChannelWorkers.start({ settings, resources, drill, log });
    cleanups.push(() => workers.stop());
    log({ event: 'workers_started' });
    const feedback = await startFeedback(clients, resources, log, drill);
    cleanups.push(() => feedback.stop());
    const scheduler = await startScheduler(pollingSqsClient(), documents, resources, drill, log, lambdaContext);
    cleanups.push(() => scheduler.stop());
    const fanOut = await startFanOut(pollingSqsClient(), resources, drill, log, lambdaContext);
    cleanups.push(() => fanOut.stop());
    const publisher = await startEventPublisher(clients.dynamoDb, resources, log);
    cleanups.push(() => publisher.stop());
    const webhooks = await startWebhooks(pollingSqsClient(), resources, log, lambdaContext);
    cleanups.push(() => webhooks.stop());

    if (options.demo) await seedDemo(gateway, options.localApiKey);
    answer = (request, response) => void serve(request, response, gateway, outboxSources, log);
    return {
      url: localUrl,
      producers,
      twilio,
      resources,
      pauseDeliveries: (paused) => workers.pause(paused),
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

/** Each API function's handler, from its folder: lambdas/<function>/handler.ts. */
async function loadApiHandlers(): Promise<Record<ApiFunction, ApiHandler>> {
  const handlers = await Promise.all(
    API_FUNCTIONS.map(async (name) => [name, await loadHandler<ApiHandler>(HANDLER_MODULES.api(name))] as const),
  );
  return Object.fromEntries(handlers) as Record<ApiFunction, ApiHandler>;
}

/**
 * What the providers say after the send: each channel's feedback function, fed by a poller of its feedback queue as
 * Lambda's event source would (in this process: it renders nothing), and SES's mailbox simulator; and the later passes
 * of erasures, fed the same way.
 */
async function startFeedback(
  clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
  resources: LocalResources,
  log: LocalPlatformOptions['log'],
  drill: FaultDrill | undefined,
): Promise<{ stop: () => Promise<void> }> {
  const queues: Partial<Record<Channel, string>> = {
    email: resources.emailFeedback.queueUrl,
    push: resources.pushFeedback.queueUrl,
  };
  const client = pollingSqsClient();
  const onError = (channel: string) => (error: Error) =>
    log({ event: `${channel}_feedback_failed`, error: error.message });
  const pollers = await Promise.all(
    Object.entries(queues).map(async ([channel, queueUrl]) => {
      const handler = await loadHandler<SqsHandler>(HANDLER_MODULES.feedback(channel as Channel));
      return new QueuePoller(client, {
        name: `${channel}-feedback`,
        queueUrl,
        batchSize: 10,
        concurrency: 1,
        handler,
        context: lambdaContext,
        duplicateDeliveries: drill?.disorderFeedback,
        reorderRecords: drill?.disorderFeedback,
        onDuplicated: (records) => log({ event: 'fault_drill_disordered', channel, records: records.length }),
        onError: onError(channel),
      });
    }),
  );
  // The later passes of erasures, as the erasure queue's event source would feed them.
  const followUps = await loadHandler<SqsHandler>(HANDLER_MODULES.erasureFollowUp);
  pollers.push(
    new QueuePoller(client, {
      name: 'erasure-follow-ups',
      queueUrl: resources.erasureQueue.url,
      batchSize: 10,
      concurrency: 1,
      handler: followUps,
      context: lambdaContext,
      onError: onError('erasure'),
    }),
  );
  const simulator = await SesMailboxSimulator.start(clients, resources.emailFeedback, onError('email'));
  return {
    stop: async () => {
      await Promise.all([...pollers.map((poller) => poller.stop()), simulator.stop()]);
    },
  };
}

/**
 * The publisher of state events, fed by a poller of the notifications table's stream as Lambda's event source mapping
 * would, with the same filter. A table made by an earlier run is read from now on: what it wrote then was published
 * then.
 */
async function startEventPublisher(
  dynamoDb: DynamoDBClient,
  resources: LocalResources,
  log: LocalPlatformOptions['log'],
): Promise<StreamPoller> {
  const handler = await loadHandler<StreamHandler>(HANDLER_MODULES.eventPublisher);
  // DynamoDB Local serves the streams of its tables on its own port.
  return StreamPoller.start(dynamoDb, endpointFor('DYNAMODB', process.env) ?? '', {
    name: 'event-publisher',
    tableName: resources.tables.notifications,
    batchSize: EVENT_PUBLISHER.batchSize,
    filter: EVENT_PUBLISHER.filter,
    from: resources.madeNotificationsTable ? 'oldest' : 'now',
    handler,
    context: lambdaContext,
    onError: (error) => log({ event: 'event_publisher_failed', error: error.message }),
  });
}

/** Before the platform is ready: try again in a second (the emulators and workers are starting). */
function stillStarting(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', Connection: 'close' });
  response.end('{"message":"the local platform is starting; retry shortly"}');
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  gateway: ApiGatewayEmulation,
  outboxSources: Parameters<typeof readOutbox>[0],
  log: LocalPlatformOptions['log'],
): Promise<void> {
  const started = Date.now();
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname;
  try {
    // A page on another site can make a browser send requests here through a name it controls (DNS rebinding):
    // those name their host, and are refused.
    if (!isLoopbackHost(request.headers.host)) {
      log({ event: 'request_refused', reason: 'host', method: request.method, path });
      return answerAndClose(
        response,
        403,
        '{"message":"Forbidden: this server answers 127.0.0.1, localhost and [::1] only"}',
      );
    }
    const body = await readBody(request, maxBodyBytesFor(request.method, request.url));
    if (body === undefined) {
      log({ event: 'request_refused', reason: 'body_too_large', method: request.method, path });
      return answerAndClose(response, 413, BODY_TOO_LARGE_ANSWER, () => request.destroy());
    }
    if (request.method === 'POST' && path === TEXT_THE_PLATFORM_PATH) {
      return await textThePlatform(body, outboxSources.twilio, response);
    }
    if (request.method === 'GET' && path === '/_local/outbox') {
      const filter = { user: url.searchParams.get('user')?.trim() || undefined };
      const outbox = await readOutbox(outboxSources, filter);
      const html = (request.headers.accept ?? '').includes('text/html');
      response.writeHead(200, { 'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json' });
      response.end(html ? outboxPage(outbox, filter) : JSON.stringify(outbox));
      return;
    }
    const answer = await gateway.answer({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body,
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

/** Where a developer "texts the platform" from a phone number: the form Twilio would post, From and Body. */
export const TEXT_THE_PLATFORM_PATH = '/_local/twilio/inbound';

/**
 * A text from a person to the platform's number, through the Twilio-compatible server: it applies Twilio's own
 * opt-out and calls the platform's incoming-message webhook, signed. Answers what the webhook answered.
 */
async function textThePlatform(body: Buffer, twilio: TwilioSandbox, response: ServerResponse) {
  const form = new URLSearchParams(body.toString('utf8'));
  const from = form.get('From') ?? '';
  if (!e164PhoneNumberSchema.safeParse(from).success) {
    response.writeHead(400, { 'Content-Type': 'application/json' });
    // A form's "+" is a space: curl --data-urlencode, or %2B, keeps it.
    response.end(
      '{"message":"From must be an E.164 phone number, e.g. From=%2B15551234567 (a form reads + as a space)"}',
    );
    return;
  }
  const text = await twilio.textThePlatform(
    { from, body: form.get('Body') ?? '' },
    // The URL the number's webhook is set to: the platform's public one, which Twilio signs.
    `${process.env[ENV.publicApiUrl]}${OPERATIONS.twilioInboundMessage.path}`,
  );
  response.writeHead(text.answer?.status ?? 502, { 'Content-Type': text.answer?.contentType ?? 'text/plain' });
  response.end(text.answer?.body ?? 'the webhook could not be reached');
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOOPBACK_HOSTS.has((name ?? '').toLowerCase());
}

/** The body, or undefined once it passes `limit` bytes: the rest is never read, let alone kept. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answerAndClose(response: ServerResponse, status: number, body: string, then?: () => void): void {
  response.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
  response.end(body, then);
}
