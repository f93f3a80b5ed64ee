/** What the local runtime needs to play Lambda's event sources: a function's handler, and a client for long polls. */
import { SQSClient } from '@aws-sdk/client-sqs';

/** A function's handler, from its module under lambdas/ (HANDLER_MODULES), imported as Lambda would load it. */
export async function loadHandler<Handler>(module: string): Promise<Handler> {
  return ((await import(`../lambdas/${module.replace(/\.ts$/, '.js')}`)) as { handler: Handler }).handler;
}

/** An SQS client for a poller: its long polls wait up to 5 s, longer than the platform clients' request timeout. */
export function pollingSqsClient(): SQSClient {
  return new SQSClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } });
}
