import { categoryCatalogue, validatePlatformSettings } from '../../lib/settings.js';
import shippedSettings from '../../platform.config.js';

/** The shipped platform.config.ts's categories: security (required), orders (the default) and marketing. */
export const SHIPPED_CATEGORIES = categoryCatalogue(validatePlatformSettings(shippedSettings));
