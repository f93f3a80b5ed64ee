/**
 * The events an SNS platform application publishes of its endpoints, in the JSON SNS is seen to publish (AWS documents
 * the attributes that send them, not their shape). LocalStack publishes none of them, so tests publish these.
 */
export const APPLICATION_ARN = 'arn:aws:sns:us-east-1:000000000000:app/GCM/acme';
export const ENDPOINT_ARN = `${APPLICATION_ARN.replace(':app/', ':endpoint/')}/5e3e9847-3183-3f18-a7e8-671c3a57d4b3`;

const common = (endpointArn: string) => ({
  EndpointArn: endpointArn,
  Resource: applicationOf(endpointArn),
  Service: 'SNS',
  Time: '2026-11-25T10:00:00.000Z',
});

export function deliveryFailure(endpointArn: string, failureType: string): Record<string, unknown> {
  return {
    ...common(endpointArn),
    EventType: 'DeliveryFailure',
    FailureType: failureType,
    FailureMessage: 'Endpoint is disabled',
    DeliveryAttempts: 1,
    MessageId: '9bd9b6a2-4a8f-5b0d-9e1a-1c2f7d3e8a41',
  };
}

export function endpointEvent(
  endpointArn: string,
  eventType: 'EndpointUpdated' | 'EndpointDeleted' | 'EndpointCreated',
): Record<string, unknown> {
  return { ...common(endpointArn), EventType: eventType };
}

/** arn:...:endpoint/GCM/acme/<id> -> arn:...:app/GCM/acme */
function applicationOf(endpointArn: string): string {
  return endpointArn.replace(':endpoint/', ':app/').replace(/\/[^/]+$/, '');
}
