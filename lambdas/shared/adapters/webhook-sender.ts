import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { Webhook } from 'standardwebhooks';
import {
  type AttemptResult,
  type DestinationPolicy,
  hostOf,
  isPublicAddress,
  parseRetryAfter,
} from '../domain/webhooks.js';

export interface SignedDelivery {
  readonly url: string;
  /** The message id: the event's id, the same at every attempt. */
  readonly messageId: string;
  readonly payload: string;
  /** The secrets to sign with: each gives one signature (Standard Webhooks lists them, space-separated). */
  readonly secrets: readonly string[];
  readonly timeoutMs: number;
}

/**
 * Signs a delivery as Standard Webhooks specifies, with its reference library (standardwebhooks, pinned: the
 * signature a receiver's verifier checks must be made exactly so), and posts it.
 *
 * Deployed (`public-https`), the connection goes through request-filtering-agent (pinned), which checks the address
 * each name resolves to as the socket connects and refuses a private, loopback or link-local one: a name that was
 * public when the endpoint was registered and resolves to 169.254.169.254 now (DNS rebinding) is never reached.
 */
export class WebhookSender {
  private readonly httpsAgent: RequestFilteringHttpsAgent;
  private readonly httpAgent: RequestFilteringHttpAgent;

  constructor(private readonly policy: DestinationPolicy) {
    const options = { keepAlive: true, allowPrivateIPAddress: policy === 'any', allowMetaIPAddress: false };
    this.httpsAgent = new RequestFilteringHttpsAgent(options);
    this.httpAgent = new RequestFilteringHttpAgent(options);
  }

  /** The headers of a delivery: webhook-id, webhook-timestamp, webhook-signature. */
  static signed(delivery: Pick<SignedDelivery, 'messageId' | 'payload' | 'secrets'>, at: Date): Record<string, string> {
    const signatures = delivery.secrets.map((secret) =>
      new Webhook(secret).sign(delivery.messageId, at, delivery.payload),
    );
    return {
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatures.join(' '),
    };
  }

  async send(delivery: SignedDelivery, at: Date = new Date()): Promise<AttemptResult> {
    const url = new URL(delivery.url);
    if (this.policy === 'public-https' && url.protocol !== 'https:') return { kind: 'address_not_allowed' };
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'notification-platform-webhooks/1',
      ...WebhookSender.signed(delivery, at),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    return new Promise<AttemptResult>((resolve) => {
      // The whole attempt's deadline, the answer's headers included: a socket's idle timeout alone would let an
      // endpoint that trickles a byte at a time hold the delivery for ever.
      const deadline = setTimeout(() => {
        request.destroy();
        resolve({ kind: 'timed_out' });
      }, delivery.timeoutMs);
      const request = send(url, { method: 'POST', headers, agent, timeout: delivery.timeoutMs }, (response) => {
        clearTimeout(deadline);
        // The answer's status is all that counts; its body is drained unread, never kept.
        response.resume();
        resolve({
          kind: 'answered',
          status: response.statusCode ?? 0,
          retryAfterSeconds: parseRetryAfter(response.headers['retry-after'], new Date()),
        });
      });
      request.on('timeout', () => {
        clearTimeout(deadline);
        request.destroy();
        resolve({ kind: 'timed_out' });
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        // request-filtering-agent's refusal of an address says so (it has no error code of its own).
        if (/is not allowed/.test(error.message)) resolve({ kind: 'address_not_allowed' });
        else resolve({ kind: 'unreachable', error: error.code ?? 'ERROR' });
      });
      request.end(delivery.payload);
    });
  }
}

/**
 * Why the URL's host is refused once resolved (some address it names is not public), or undefined: a registration's
 * check. Delivery checks again, on the address it connects to.
 */
export async function resolvedAddressProblem(
  url: string,
  policy: DestinationPolicy,
  resolve: (host: string) => Promise<{ address: string }[]> = (host) => lookup(host, { all: true, verbatim: true }),
): Promise<string | undefined> {
  if (policy === 'any') return undefined;
  const host = hostOf(new URL(url));
  let addresses: { address: string }[];
  try {
    addresses = await resolve(host);
  } catch {
    return `names a host that does not resolve (${host})`;
  }
  if (addresses.some(({ address }) => !isPublicAddress(address)))
    return 'names a host that resolves to a private, loopback, link-local or reserved address';
  return undefined;
}
