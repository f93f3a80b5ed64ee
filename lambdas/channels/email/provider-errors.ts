import {
  awsErrorSummary,
  awsReason,
  isAwsCredentialProblem,
  isClientError,
  isShape,
  networkFailure,
} from '../../shared/delivery/provider-failure.js';
import { type DeliveryFailure, permanent, transient } from '../../shared/domain/delivery-failure.js';

const SES_REFUSED = new Set(['MessageRejected', 'InvalidParameterValue']);
// Transient on purpose: an operator fixes the identity, configuration set or account; meanwhile the job retries,
// then rests in the DLQ and is redriven after the fix. Nothing is lost, which a "permanent" verdict would do.
const SES_OPERATOR_FIXABLE = new Set([
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
  'AccountSendingPausedException',
]);

/** What an SES SendEmail error means for the delivery (see shared/delivery/provider-failure.ts). */
export function classifySesError(error: unknown): DeliveryFailure {
  const network = networkFailure(error);
  if (network) return network;
  if (!isShape(error)) return transient('ses_unexpected_error');
  const aws = awsErrorSummary(error);
  const reason = awsReason('ses', aws);
  if (aws.retryable) return transient(reason);
  if (SES_REFUSED.has(aws.name)) return permanent(reason);
  if (SES_OPERATOR_FIXABLE.has(aws.name) || isAwsCredentialProblem(aws.name)) return transient(reason);
  return isClientError(aws.status) ? permanent(reason) : transient(reason);
}
