/**
 * The settings every AWS client of the platform is built with.
 *
 * No endpoint is set on purpose: the SDK reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> by itself,
 * so the same code reaches AWS, a LocalStack container, or the local emulators of scripts/emulator.sh.
 *
 * The SDK sets no request timeout by default: a connection that hangs would hold a Lambda until its own
 * timeout, and hold the producer waiting on the ingest path. Failing fast lets the SDK retry, then the
 * caller answer 503 with Retry-After. Without `throwOnRequestTimeout` the SDK's HTTP handler only warns when
 * `requestTimeout` passes and goes on waiting.
 */
export const awsClientDefaults = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
};

/**
 * For the clients that hand a message to a provider (SES SendRawEmail, SNS Publish): one attempt. The SDK retries
 * timeouts and 5xx, exactly the answers after which the message may already have gone out; the channel worker
 * releases its claim and retries with its own backoff instead, so every re-send is one the platform decided.
 */
export const sendingClientDefaults = { ...awsClientDefaults, maxAttempts: 1 };
