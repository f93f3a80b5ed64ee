import {
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  SetEndpointAttributesCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';

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

  async remove(endpointArn: string): Promise<void> {
    // Deleting an endpoint that is already gone succeeds: SNS's DeleteEndpoint is idempotent.
    await this.client.send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
  }
}
