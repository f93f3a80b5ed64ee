import { categoryCatalogue, validatePlatformSettings } from '../../lib/settings.js';
import shippedSettings from '../../platform.config.js';

/** The shipped platform.config.ts's categories: security (required), orders (the default) and marketing. */
export const SHIPPED_CATEGORIES = categoryCatalogue(validatePlatformSettings(shippedSettings));

/** The keys the tests' functions sign recipients' links with: a rotation under way, so both are accepted. */
export const TEST_CONSENT_KEYS = {
  current: 'test-consent-key-current-0000000000000000',
  previous: 'test-consent-key-previous-000000000000000',
};

/**
 * The peppers the tests' functions key addresses with: one rotation made and its re-keying under way, so lookups try
 * the key of the generation before too.
 */
export const TEST_SUPPRESSION_KEYS = {
  current: 'test-suppression-pepper-current-00000000',
  previous: ['test-suppression-pepper-previous-0000000'],
  rekeyed: false,
};
