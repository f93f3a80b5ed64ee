/**
 * Local only (the outbox page of `npm start`): the pushes LocalStack's SNS recorded, by device. SNS records no time;
 * the channel's status says when it was sent.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { fetchJson, type OutboxSources, type ProviderMessageReader } from '../../../local/outbox.js';

interface SnsRecord {
  MessageId: string;
  Message: string;
}

export const readProviderMessages: ProviderMessageReader = async (sources) => {
  const [devices, pushes] = await Promise.all([
    deviceIdsByEndpoint(sources),
    fetchJson<{ platform_endpoint_messages: Record<string, SnsRecord[]> }>(
      `${sources.localStackUrl}/_aws/sns/platform-endpoint-messages?region=${sources.region}`,
    ),
  ]);
  return Object.entries(pushes.platform_endpoint_messages).flatMap(([endpointArn, records]) =>
    records.map((record) => ({
      kind: 'push_notification' as const,
      providerMessageId: record.MessageId,
      to: devices.get(endpointArn) ?? endpointArn,
      ...pushContent(record.Message),
    })),
  );
};

async function deviceIdsByEndpoint(sources: OutboxSources): Promise<Map<string, string>> {
  const devices = new Map<string, string>();
  const page = await sources.documents.send(new ScanCommand({ TableName: sources.devicesTable }));
  for (const item of page.Items ?? []) devices.set(item.endpoint_arn, item.device_id);
  return devices;
}

/** What a device shows: the platform part of the message SNS would have handed to FCM or APNs. */
function pushContent(message: string): { title?: string; body: string } {
  try {
    const parsed = JSON.parse(message);
    const platform = typeof parsed === 'string' ? JSON.parse(parsed) : parsed;
    const notification = platform.fcmV1Message?.message?.notification ?? platform.aps?.alert ?? platform.notification;
    if (notification) return { title: notification.title, body: notification.body ?? '' };
  } catch {
    // Not JSON: shown as it is.
  }
  return { body: message };
}
