import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceIsGone, parsePushFeedback } from '../../lambdas/channels/push/feedback.js';
import { deliveryFailure, ENDPOINT_ARN, endpointEvent } from '../support/push-events.js';

const parse = (event: object) => parsePushFeedback(JSON.stringify(event));

describe('push feedback', () => {
  it.each(['EndpointDisabled', 'InvalidPlatformToken', 'DeliveryFailedPerm'])(
    'checks the endpoint of a delivery that failed with %s',
    (failureType) => {
      // Act
      const feedback = parse(deliveryFailure(ENDPOINT_ARN, failureType));

      // Assess
      expect(feedback).toEqual({
        event: 'DeliveryFailure',
        failureType,
        endpointArn: ENDPOINT_ARN,
        checkEndpoint: true,
      });
    },
  );

  it('only counts a message that outlived its TTL: the device is fine', () => {
    expect(parse(deliveryFailure(ENDPOINT_ARN, 'NotificationTTLExpired'))).toMatchObject({
      failureType: 'NotificationTTLExpired',
      checkEndpoint: false,
    });
  });

  it('checks the endpoint of a failure of a type SNS is not known to send, counted as other', () => {
    expect(parse(deliveryFailure(ENDPOINT_ARN, 'SomethingNew'))).toMatchObject({
      failureType: 'other',
      checkEndpoint: true,
    });
    const { FailureType: _, ...withoutType } = deliveryFailure(ENDPOINT_ARN, 'x');
    expect(parse(withoutType)).toMatchObject({ failureType: 'other', checkEndpoint: true });
  });

  it('checks the endpoint of an update or a deletion, and only counts a creation', () => {
    expect(parse(endpointEvent(ENDPOINT_ARN, 'EndpointUpdated'))).toEqual({
      event: 'EndpointUpdated',
      endpointArn: ENDPOINT_ARN,
      checkEndpoint: true,
    });
    expect(parse(endpointEvent(ENDPOINT_ARN, 'EndpointDeleted'))).toMatchObject({ checkEndpoint: true });
    expect(parse(endpointEvent(ENDPOINT_ARN, 'EndpointCreated'))).toMatchObject({ checkEndpoint: false });
  });

  it('takes fields it does not know, such as the attributes an update may carry', () => {
    expect(
      parse({ ...endpointEvent(ENDPOINT_ARN, 'EndpointUpdated'), Attributes: { Enabled: 'false' }, Enabled: false }),
    ).toMatchObject({ event: 'EndpointUpdated', checkEndpoint: true });
  });

  it('reads the event inside an SNS envelope too (a subscription without raw delivery)', () => {
    const envelope = {
      Type: 'Notification',
      MessageId: 'c0ffee00-0000-4000-8000-000000000000',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:push-feedback',
      Message: JSON.stringify(endpointEvent(ENDPOINT_ARN, 'EndpointDeleted')),
    };
    expect(parse(envelope)).toMatchObject({ event: 'EndpointDeleted', endpointArn: ENDPOINT_ARN });
  });

  it('drops what is not JSON, not an event, of an unknown type, or names no endpoint', () => {
    expect(parsePushFeedback('plain text')).toBe('not_json');
    expect(parsePushFeedback('')).toBe('not_json');
    expect(parse({ not: 'an event' })).toBe('not_an_sns_event');
    expect(parsePushFeedback('[1,2]')).toBe('not_an_sns_event');
    expect(parsePushFeedback('null')).toBe('not_an_sns_event');
    expect(parse({ ...endpointEvent(ENDPOINT_ARN, 'EndpointDeleted'), EventType: 'Bounce' })).toBe(
      'unknown_event_type',
    );
    const { EndpointArn: _, ...withoutEndpoint } = endpointEvent(ENDPOINT_ARN, 'EndpointDeleted');
    expect(parse(withoutEndpoint)).toBe('not_an_endpoint');
    expect(parse(endpointEvent('arn:aws:sns:us-east-1:000000000000:app/GCM/acme', 'EndpointDeleted'))).toBe(
      'not_an_endpoint',
    );
    expect(parse({ ...endpointEvent(ENDPOINT_ARN, 'EndpointDeleted'), EndpointArn: 42 })).toBe('not_an_sns_event');
  });

  it('answers a verdict, never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        const feedback = parsePushFeedback(body);
        expect(typeof feedback === 'string' || typeof feedback.checkEndpoint === 'boolean').toBe(true);
      }),
    );
  });

  it('forgets a device only when SNS says its endpoint is disabled or gone, whatever the event said', () => {
    expect(deviceIsGone('disabled')).toBe(true);
    expect(deviceIsGone('gone')).toBe(true);
    // Registered again since the event: the devices API re-enabled the endpoint, and the device works.
    expect(deviceIsGone('enabled')).toBe(false);
  });
});
