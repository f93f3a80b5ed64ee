/**
 * The settings every AWS client of the platform is built with.
 *
 * No endpoint is set on purpose: the SDK reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> by itself,
 * so the same code reaches AWS, a LocalStack container, or the local emulators of scripts/emulator.sh.
 *
 * The SDK sets no request timeout by default: a connection that hangs would hold a Lambda until its own
 * timeout, and hold the producer waiting on the ingest path. Failing fast lets the SDK retry, then the
 * caller answer 503 with Retry-After.
 */
export const awsClientDefaults = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
};
