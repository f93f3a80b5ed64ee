import { awsErrorSummary, awsProviderFailure, awsReason, isShape } from '../../shared/delivery/provider-failure.js';
import type { DeliveryFailure } from '../../shared/domain/delivery-failure.js';

/** A push can also fail because the device's endpoint no longer exists; the caller forgets that device. */
export type PushFailure = DeliveryFailure | { readonly kind: 'endpoint_gone'; readonly reason: string };

const SNS_ENDPOINT_GONE = new Set(['EndpointDisabledException', 'EndpointDisabled', 'NotFoundException', 'NotFound']);
const SNS_REFUSED = new Set(['InvalidParameterException', 'InvalidParameter', 'InvalidParameterValueException']);
// As for SES: a disabled platform application or a missing permission is fixed by an operator.
const SNS_OPERATOR_FIXABLE = new Set([
  'PlatformApplicationDisabledException',
  'AuthorizationErrorException',
  'InvalidSecurityException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

/** What an SNS Publish error means for the delivery to one device (see shared/delivery/provider-failure.ts). */
export function classifySnsPublishError(error: unknown): PushFailure {
  const aws = isShape(error) ? awsErrorSummary(error) : undefined;
  if (aws && SNS_ENDPOINT_GONE.has(aws.name)) return { kind: 'endpoint_gone', reason: awsReason('sns', aws) };
  return awsProviderFailure('sns', error, { refused: SNS_REFUSED, operatorFixable: SNS_OPERATOR_FIXABLE });
}
