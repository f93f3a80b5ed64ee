import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signConsentToken } from '../../lambdas/shared/domain/consent-token.js';
import { OPERATION_LIST } from '../../lambdas/shared/platform/operations.js';
import { apiEvent, invoke, lambdaContext } from '../support/api-gateway.js';
import { TEST_CONSENT_KEYS } from '../support/categories.js';
import { eventually } from '../support/eventually.js';
import { provisionTestPlatform, type TestPlatform } from '../support/test-platform.js';

// The functions' traces go to X-Ray, whose documents are kept and shown in the console: no address, number, token or
// payload value may be in them. Here the real handler runs with tracing on, as in Lambda, and its segments go to a
// UDP listener standing in for the X-Ray daemon (the SDK sends each subsegment as one datagram when it closes).
const LAMBDA_ENVIRONMENT = {
  LAMBDA_TASK_ROOT: '/var/task',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
  _HANDLER: 'index.handler',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
};
const saved: Record<string, string | undefined> = {};
let daemon: Socket;
const documents: string[] = [];
let platform: TestPlatform;
let contacts: Parameters<typeof invoke>[0];
let consent: Parameters<typeof invoke>[0];
let suppressions: Parameters<typeof invoke>[0];

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (datagram) => documents.push(datagram.toString('utf8')));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const environment = {
    ...LAMBDA_ENVIRONMENT,
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
  };
  for (const [name, value] of Object.entries(environment)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  platform = await provisionTestPlatform('traces');
  // Loaded after the environment, as Lambda loads a function: the tracer decides at load whether it traces.
  ({ handler: contacts } = await import('../../lambdas/contacts/handler.js'));
  ({ handler: consent } = await import('../../lambdas/consent/handler.js'));
  ({ handler: suppressions } = await import('../../lambdas/suppressions/handler.js'));
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  daemon.close();
  await platform.remove();
});

describe('traces', () => {
  it('hold the handler and its AWS calls, never the response: the contacts call puts no address or number in X-Ray', async () => {
    const email = 'trace.secret@example.org';
    const phone = '+4917612345098';

    const answer = await invoke(contacts, {
      operation: 'putContacts',
      pathParameters: { user_id: 'traced-user' },
      body: { email_address: email, phone_number: phone },
    });

    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({ email_address: email, phone_number: phone });
    // The tracer is on: the handler's own subsegment and its DynamoDB call reached the daemon.
    await eventually('the handler subsegment', async () =>
      documents.some((document) => document.includes('"## index.handler"')) ? true : undefined,
    );
    expect(documents.some((document) => document.includes('"DynamoDB"'))).toBe(true);
    for (const document of documents) {
      expect(document).not.toContain(email);
      expect(document).not.toContain(phone);
    }
  });

  it("keep a recipient's link token and a looked-up address out: neither is in a path, nor in what a function records", async () => {
    // Loaded after the environment, as the handlers are: the tracer decides at load whether it traces.
    const { UsersStore } = await import('../../lambdas/shared/adapters/users-store.js');
    const { documentClient } = await import('../../lambdas/shared/aws/dynamodb.js');
    const users = new UsersStore(platform.resources.tables.users, documentClient);
    await users.replaceContacts('traced-person', { email_address: 'traced.person@example.org' });
    const token = signConsentToken(
      {
        userId: 'traced-person',
        category: 'marketing',
        channel: 'email',
        issuedAt: Math.floor(Date.now() / 1000),
        generation: await users.linkGeneration({ user_id: 'traced-person' }),
      },
      TEST_CONSENT_KEYS,
    );
    const before = documents.length;

    const page = await consent(
      apiEvent({ operation: 'getPreferencePage', pathParameters: { token }, apiKeyId: '' }),
      lambdaContext('consent'),
    );
    const lookup = await invoke(suppressions, {
      operation: 'findSuppression',
      body: { channel: 'email', address: 'looked.up@example.org' },
    });

    expect(page.statusCode).toBe(200);
    expect(lookup.statusCode).toBe(404);
    await eventually("both handlers' subsegments", async () =>
      documents.slice(before).filter((document) => document.includes('"## index.handler"')).length >= 2
        ? true
        : undefined,
    );
    for (const document of documents.slice(before)) {
      expect(document).not.toContain(token);
      expect(document).not.toContain(token.split('.')[2]);
      expect(document).not.toContain('looked.up@example.org');
      expect(document).not.toContain('traced.person@example.org');
    }
    // The address is in no route at all: the lookup takes it in its body.
    expect(OPERATION_LIST.map((operation) => operation.path).join(' ')).not.toMatch(
      /\{(address|email_address|phone_number)\}/,
    );
  });
});
