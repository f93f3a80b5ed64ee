/**
 * The secrets of the local platform, which deployed are in Secrets Manager: fixed, so that links in emails sent and
 * suppressions keep working across restarts; no secret here. CONSENT_KEYS and SUPPRESSION_KEYS replace them.
 */
export const LOCAL_CONSENT_KEYS = JSON.stringify({ current: 'local-consent-key-not-a-secret-000000000000' });

/** Nothing was keyed here before peppers: none to re-key. */
export const LOCAL_SUPPRESSION_KEYS = JSON.stringify({
  current: 'local-suppression-pepper-not-a-secret-00000',
  rekeyed: true,
});
