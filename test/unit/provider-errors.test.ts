import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySesError } from '../../lambdas/channels/email/provider-errors.js';
import { classifySnsPublishError } from '../../lambdas/channels/push/provider-errors.js';
import { classifyTwilioError } from '../../lambdas/channels/sms/provider-errors.js';

// Provider messages quote recipients; a reason must never carry them.
const SECRET_MESSAGE = 'Email address is not verified: ada@example.com, +4915112345678';

function awsError(name: string, httpStatusCode?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(SECRET_MESSAGE), { name, $metadata: { httpStatusCode }, $fault: 'client', ...extra });
}

function twilioError(status: number, code?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(SECRET_MESSAGE), {
    status,
    code,
    moreInfo: code === undefined ? undefined : `https://www.twilio.com/docs/errors/${code}`,
    ...extra,
  });
}

function networkError(code: string, message = `connect ${code} 10.0.0.1:443`): Error {
  return Object.assign(new Error(message), { code });
}

const classifiers = { ses: classifySesError, twilio: classifyTwilioError, sns: classifySnsPublishError };

describe.each(Object.entries(classifiers))('network failures, for %s', (_, classify) => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND'])('%s is transient', (code) => {
    expect(classify(networkError(code))).toEqual({ kind: 'transient', reason: `network_${code.toLowerCase()}` });
  });

  it('calls timeouts timeouts, however the client reports them', () => {
    const timeout = { kind: 'transient', reason: 'network_timeout' };
    expect(classify(networkError('ETIMEDOUT'))).toEqual(timeout);
    expect(classify(networkError('ESOCKETTIMEDOUT'))).toEqual(timeout);
    expect(classify(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))).toEqual(timeout);
    // axios
    expect(classify(networkError('ECONNABORTED', 'timeout of 30000ms exceeded'))).toEqual(timeout);
    expect(classify(networkError('ECONNABORTED', 'aborted'))).toEqual({
      kind: 'transient',
      reason: 'network_econnaborted',
    });
  });

  it('finds the socket error that fetch wraps in its cause', () => {
    const error = new TypeError('fetch failed', { cause: networkError('ECONNRESET') });
    expect(classify(error)).toEqual({ kind: 'transient', reason: 'network_econnreset' });
  });

  it('treats what it cannot read as transient, so the job rests in the DLQ rather than being lost', () => {
    for (const error of [undefined, null, 'boom', 42, new Error(SECRET_MESSAGE)]) {
      expect(classify(error).kind).toBe('transient');
    }
  });
});

describe('classifySesError', () => {
  it('gives up on a message or recipient that SES refuses', () => {
    expect(classifySesError(awsError('MessageRejected', 400))).toEqual({
      kind: 'permanent',
      reason: 'ses_message_rejected',
    });
    expect(classifySesError(awsError('InvalidParameterValue', 400))).toEqual({
      kind: 'permanent',
      reason: 'ses_invalid_parameter_value',
    });
  });

  it('retries throttling, whether told by name, status or $retryable', () => {
    for (const name of ['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'Throttled']) {
      expect(classifySesError(awsError(name, 400)).kind).toBe('transient');
    }
    expect(classifySesError(awsError('Throttling', 400))).toEqual({ kind: 'transient', reason: 'ses_throttling' });
    expect(classifySesError(awsError('SomethingNew', 429)).kind).toBe('transient');
    expect(classifySesError(awsError('SomethingNew', 400, { $retryable: { throttling: true } })).kind).toBe(
      'transient',
    );
  });

  it('retries any failure on the AWS side', () => {
    expect(classifySesError(awsError('InternalFailure', 500))).toEqual({
      kind: 'transient',
      reason: 'ses_internal_failure',
    });
    expect(classifySesError(awsError('ServiceUnavailable', 503)).kind).toBe('transient');
    expect(classifySesError(awsError('Unknown', 502)).kind).toBe('transient');
  });

  it('retries configuration an operator can fix, so the job can be redriven from the DLQ afterwards', () => {
    for (const name of [
      'MailFromDomainNotVerifiedException',
      'ConfigurationSetDoesNotExistException',
      'ConfigurationSetSendingPausedException',
      'AccountSendingPausedException',
      'AccessDenied',
      'AccessDeniedException',
      'InvalidClientTokenId',
      'ExpiredTokenException',
    ]) {
      expect(classifySesError(awsError(name, 400)).kind, name).toBe('transient');
    }
    expect(classifySesError(awsError('MailFromDomainNotVerifiedException', 400)).reason).toBe(
      'ses_mail_from_domain_not_verified',
    );
  });

  it('gives up on any other 4xx', () => {
    expect(classifySesError(awsError('SomethingNew', 400))).toEqual({ kind: 'permanent', reason: 'ses_something_new' });
    expect(classifySesError(awsError('', 413))).toEqual({ kind: 'permanent', reason: 'ses_http_413' });
  });
});

describe('classifyTwilioError', () => {
  it('gives up on a number or message Twilio refuses', () => {
    const refused: Record<number, string> = {
      21211: 'twilio_21211_invalid_number',
      21614: 'twilio_21614_not_mobile',
      21610: 'twilio_21610_unsubscribed',
      21612: 'twilio_21612_cannot_route',
      21408: 'twilio_21408_region_not_enabled',
      21617: 'twilio_21617_body_too_long',
    };
    for (const [code, reason] of Object.entries(refused)) {
      expect(classifyTwilioError(twilioError(400, Number(code)))).toEqual({ kind: 'permanent', reason });
    }
  });

  it('retries when rate limited, as late as Twilio asks', () => {
    expect(classifyTwilioError(twilioError(429, 20429))).toEqual({ kind: 'transient', reason: 'twilio_20429' });
    expect(classifyTwilioError(twilioError(429, undefined, { retryAfterSeconds: 30 }))).toEqual({
      kind: 'transient',
      reason: 'twilio_http_429',
      retryAfterSeconds: 30,
    });
    expect(classifyTwilioError(twilioError(429, 20429, { headers: { 'Retry-After': '12' } }))).toMatchObject({
      retryAfterSeconds: 12,
    });
    expect(
      classifyTwilioError(twilioError(429, 20429, { response: { headers: new Headers({ 'retry-after': '7' }) } })),
    ).toMatchObject({ retryAfterSeconds: 7 });
  });

  it('ignores a retry-after it cannot read', () => {
    for (const extra of [
      { headers: { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' } },
      { retryAfterSeconds: -5 },
      { retryAfter: Number.NaN },
      { headers: 'retry-after: 5' },
      {
        headers: {
          get: () => {
            throw new Error('no');
          },
        },
      },
    ]) {
      expect(classifyTwilioError(twilioError(429, 20429, extra))).toEqual({
        kind: 'transient',
        reason: 'twilio_20429',
      });
    }
  });

  it('retries failures on the Twilio side', () => {
    expect(classifyTwilioError(twilioError(500, 20500))).toEqual({ kind: 'transient', reason: 'twilio_20500' });
    expect(classifyTwilioError(twilioError(503))).toEqual({ kind: 'transient', reason: 'twilio_http_503' });
  });

  it('retries bad credentials and a suspended account, which an operator fixes before a redrive', () => {
    expect(classifyTwilioError(twilioError(401, 20003))).toEqual({
      kind: 'transient',
      reason: 'twilio_20003_authentication',
    });
    expect(classifyTwilioError(twilioError(401, 20005)).kind).toBe('transient');
    expect(classifyTwilioError(twilioError(401)).kind).toBe('transient');
  });

  it('gives up on any other 4xx, naming its code', () => {
    expect(classifyTwilioError(twilioError(400, 21606))).toEqual({ kind: 'permanent', reason: 'twilio_21606' });
    expect(classifyTwilioError(twilioError(404))).toEqual({ kind: 'permanent', reason: 'twilio_http_404' });
  });

  it('reads the RFC 9457 shape of newer Twilio APIs alike', () => {
    const problem = Object.assign(new Error(SECRET_MESSAGE), {
      type: 'https://www.twilio.com/docs/errors/21211',
      title: 'Invalid To',
      status: 400,
      code: 21211,
    });
    expect(classifyTwilioError(problem)).toEqual({ kind: 'permanent', reason: 'twilio_21211_invalid_number' });
  });
});

describe('classifySnsPublishError', () => {
  it('reports an endpoint that is disabled or deleted as gone', () => {
    expect(classifySnsPublishError(awsError('EndpointDisabledException', 400))).toEqual({
      kind: 'endpoint_gone',
      reason: 'sns_endpoint_disabled',
    });
    expect(classifySnsPublishError(awsError('NotFoundException', 404))).toEqual({
      kind: 'endpoint_gone',
      reason: 'sns_not_found',
    });
  });

  it('gives up on a message SNS refuses', () => {
    expect(classifySnsPublishError(awsError('InvalidParameterException', 400))).toEqual({
      kind: 'permanent',
      reason: 'sns_invalid_parameter',
    });
    expect(classifySnsPublishError(awsError('InvalidParameterValueException', 400)).kind).toBe('permanent');
    expect(classifySnsPublishError(awsError('SomethingNew', 400)).kind).toBe('permanent');
  });

  it('retries what an operator fixes, throttling and failures on the AWS side', () => {
    for (const [name, status] of [
      ['PlatformApplicationDisabledException', 400],
      ['AuthorizationErrorException', 403],
      ['KMSThrottlingException', 400],
      ['KMSDisabledException', 400],
      ['ThrottledException', 429],
      ['InternalErrorException', 500],
    ] as const) {
      expect(classifySnsPublishError(awsError(name, status)).kind, name).toBe('transient');
    }
  });
});

describe('reasons, for any error', () => {
  const anyError = fc.record({
    name: fc.oneof(fc.string(), fc.constantFrom('MessageRejected', 'Throttling', 'EndpointDisabledException')),
    status: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constant(undefined)),
    code: fc.oneof(fc.integer(), fc.string(), fc.constant(undefined)),
  });

  it('are short codes that quote nothing from the error', () => {
    fc.assert(
      fc.property(anyError, ({ name, status, code }) => {
        const error = Object.assign(new Error(SECRET_MESSAGE), {
          name,
          status,
          code,
          $metadata: { httpStatusCode: status },
        });
        for (const classify of Object.values(classifiers)) {
          expect(classify(error).reason).toMatch(/^[a-z0-9_]{1,80}$/);
        }
      }),
    );
  });
});
