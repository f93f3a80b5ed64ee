import {
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  SetEndpointAttributesCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { EndpointState } from './feedback.js';

/**
 * SNS platform endpoints, one per device token. Registration follows AWS's advice for mobile push:
 * create (SNS returns the existing endpoint for a known token), then make sure the endpoint carries this
 * token and is enabled, since a token APNs or FCM once rejected leaves its endpoint disabled.
 */
export class PushEndpoints {
  constructor(private readonly client: SNSClient) {}

  async register(platformApplicationArn: string, token: string): Promise<string> {
    const { EndpointArn } = await this.client.send(
      new CreatePlatformEndpointCommand({ PlatformApplicationArn: platformApplicationArn, Token: token }),
    );
    if (!EndpointArn) throw new Error('SNS returned no EndpointArn');
    const { Attributes } = await this.client.send(new GetEndpointAttributesCommand({ EndpointArn }));
    if (Attributes?.Token !== token || Attributes?.Enabled !== 'true') {
      await this.client.send(
        new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Token: token, Enabled: 'true' } }),
      );
    }
    return EndpointArn;
  }

  /** Whether SNS would still deliver to the endpoint: APNs or FCM may have made SNS disable it, or someone deleted it. */
  async state(endpointArn: string): Promise<EndpointState> {
    try {
      const { Attributes } = await this.client.send(new GetEndpointAttributesCommand({ EndpointArn: endpointArn }));
      return Attributes?.Enabled?.toLowerCase() === 'false' ? 'disabled' : 'enabled';
    } catch (error) {
      if (ENDPOINT_NOT_FOUND.has((error as Error).name)) return 'gone';
      throw error;
    }
  }

  async remove(endpointArn: string): Promise<void> {
    // Deleting an endpoint that is already gone succeeds: SNS's DeleteEndpoint is idempotent.
    await this.client.send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
  }
}

const ENDPOINT_NOT_FOUND = new Set(['NotFoundException', 'NotFound']);
