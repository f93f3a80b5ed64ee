import { categoryCatalogue, validatePlatformSettings } from '../../lib/settings.js';
import shippedSettings from '../../platform.config.js';

/** The shipped platform.config.ts's categories: security (required), orders (the default) and marketing. */
export const SHIPPED_CATEGORIES = categoryCatalogue(validatePlatformSettings(shippedSettings));

/** The keys the tests' functions sign recipients' links with: a rotation under way, so both are accepted. */
export const TEST_CONSENT_KEYS = {
  current: 'test-consent-key-current-0000000000000000',
  previous: 'test-consent-key-previous-000000000000000',
};
