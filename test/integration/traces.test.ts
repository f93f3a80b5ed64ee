import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../support/api-gateway.js';
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
});
