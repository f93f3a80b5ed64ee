import { awsProviderFailure } from '../../shared/delivery/provider-failure.js';
import type { DeliveryFailure } from '../../shared/domain/delivery-failure.js';

const SES_REFUSED = new Set(['MessageRejected', 'InvalidParameterValue']);
// Transient on purpose: an operator fixes the identity, configuration set or account; meanwhile the job retries,
// then rests in the DLQ and is redriven after the fix. Nothing is lost, which a "permanent" verdict would do.
const SES_OPERATOR_FIXABLE = new Set([
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
  'AccountSendingPausedException',
]);

/** What an SES SendRawEmail error means for the delivery (see shared/delivery/provider-failure.ts). */
export function classifySesError(error: unknown): DeliveryFailure {
  return awsProviderFailure('ses', error, { refused: SES_REFUSED, operatorFixable: SES_OPERATOR_FIXABLE });
}
