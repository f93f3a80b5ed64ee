import { describe, expect, it } from 'vitest';
import {
  EmulatorUnreachableError,
  emulatorFor,
  endpointFor,
  integrationEnvironment,
  isConnectionFailure,
} from '../../local/emulator-environment.js';

const local = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4569' };

describe('integrationEnvironment', () => {
  it('points every service at the local emulators when the user set nothing', () => {
    const env = integrationEnvironment({}, local);

    expect(env).toMatchObject(local);
    expect(env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  });

  it('sends DynamoDB to the same LocalStack when the user gives only AWS_ENDPOINT_URL', () => {
    const env = integrationEnvironment({ AWS_ENDPOINT_URL: 'http://localstack:4566' }, local);

    expect(env.AWS_ENDPOINT_URL).toBe('http://localstack:4566');
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBeUndefined();
    expect(endpointFor('DYNAMODB', env)).toBe('http://localstack:4566');
  });

  it('keeps the region and credentials the user set', () => {
    const env = integrationEnvironment({ AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'mine' }, local);

    expect(env.AWS_REGION).toBe('eu-central-1');
    expect(env.AWS_ACCESS_KEY_ID).toBe('mine');
  });
});

describe('endpointFor', () => {
  it("prefers the service's own variable over the general one, as the SDK does", () => {
    expect(endpointFor('DYNAMODB', local)).toBe('http://127.0.0.1:4569');
    expect(endpointFor('SQS', local)).toBe('http://127.0.0.1:4566');
  });

  it('is undefined when no endpoint is set, and an empty variable counts as unset', () => {
    expect(endpointFor('SES', {})).toBeUndefined();
    expect(endpointFor('SES', { AWS_ENDPOINT_URL_SES: '' })).toBeUndefined();
  });
});

describe('emulatorFor', () => {
  it('serves DynamoDB from DynamoDB Local and the rest from LocalStack', () => {
    expect(emulatorFor('DYNAMODB')).toBe('dynamodb');
    expect(['SQS', 'SNS', 'SES'].map((service) => emulatorFor(service as 'SQS'))).toEqual([
      'localstack',
      'localstack',
      'localstack',
    ]);
  });
});

describe('isConnectionFailure', () => {
  const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code });

  it('recognises refused, reset and timed-out connections, also as the cause of another error', () => {
    expect(isConnectionFailure(withCode('ECONNREFUSED'))).toBe(true);
    expect(isConnectionFailure(withCode('ECONNRESET'))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe(true);
    expect(isConnectionFailure(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe(true);
  });

  it('does not mistake an answer from the service for an unreachable endpoint', () => {
    expect(isConnectionFailure(Object.assign(new Error('no such queue'), { name: 'QueueDoesNotExist' }))).toBe(false);
    expect(isConnectionFailure('ECONNREFUSED')).toBe(false);
  });
});

describe('EmulatorUnreachableError', () => {
  it('names the service, the endpoint and the reason, and says how to fix it', () => {
    const error = new EmulatorUnreachableError(
      'SQS',
      'http://127.0.0.1:4566',
      Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    );

    expect(error.message).toContain('SQS did not answer at http://127.0.0.1:4566 (ECONNREFUSED)');
    expect(error.message).toContain('scripts/emulator.sh start');
  });
});
