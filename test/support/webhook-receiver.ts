/**
 * Webhook endpoints on loopback, as a producer's service would run them: each path behaves as told (answers at once,
 * fails an event's first attempts, or holds every request until released), and every request is kept with its
 * headers and body as they came, to be verified by a Standard Webhooks verifier.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReceivedDelivery {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly receivedAt: number;
  /** The status it was answered with; undefined while held. */
  status?: number;
}

/** How a path answers: `ok` at once; `flaky` 500 to each event's first three attempts, then 200; `held` never, until released. */
export type EndpointBehaviour = 'ok' | 'flaky' | 'held';

export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  private readonly held: { delivery: ReceivedDelivery; response: ServerResponse }[] = [];

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly behaviours: Readonly<Record<string, EndpointBehaviour>>,
  ) {
    server.on('request', (request, response) => void this.receive(request, response));
  }

  static async start(behaviours: Readonly<Record<string, EndpointBehaviour>>): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new WebhookReceiver(server, `http://127.0.0.1:${port}`, behaviours);
  }

  url(path: string): string {
    return `${this.baseUrl}/${path}`;
  }

  /** What `path` received, optionally only deliveries of one notification's events. */
  receivedAt(path: string, notificationId?: string): ReceivedDelivery[] {
    return this.deliveries.filter(
      (delivery) =>
        delivery.path === path &&
        (notificationId === undefined || eventOf(delivery).data.notification_id === notificationId),
    );
  }

  /** Answers every held request 200. */
  release(): void {
    for (const { delivery, response } of this.held.splice(0)) answer(delivery, response, 200);
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '/').slice(1);
    const delivery: ReceivedDelivery = {
      path,
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: Date.now(),
    };
    this.deliveries.push(delivery);
    switch (this.behaviours[path] ?? 'ok') {
      case 'ok':
        return answer(delivery, response, 200);
      case 'flaky': {
        const earlier = this.deliveries.filter(
          (other) => other.path === path && other.headers['webhook-id'] === delivery.headers['webhook-id'],
        );
        return answer(delivery, response, earlier.length <= 3 ? 500 : 200);
      }
      case 'held':
        this.held.push({ delivery, response });
        return;
    }
  }
}

function answer(delivery: ReceivedDelivery, response: ServerResponse, status: number): void {
  delivery.status = status;
  if (!response.writableEnded && !response.destroyed) response.writeHead(status).end();
}

/** A delivery's body: the Standard Webhooks envelope of one state event. */
export function eventOf(delivery: ReceivedDelivery): {
  type: string;
  timestamp: string;
  data: { event_id: string; event_type: string; notification_id: string };
} {
  return JSON.parse(delivery.body);
}
