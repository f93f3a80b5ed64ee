import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { ChannelQueueSettings } from '../../lambdas/shared/platform/resources.js';
import { ChannelQueue } from '../../lib/channel-queue.js';

function synthChannelQueue(settings: ChannelQueueSettings): Template {
  const stack = new Stack(new App(), 'Test');
  new ChannelQueue(stack, 'Sms', { channel: 'sms', settings });
  return Template.fromStack(stack);
}

describe('ChannelQueue', () => {
  it('keeps a job hidden for six times the worker timeout, as AWS advises for Lambda consumers', () => {
    const template = synthChannelQueue({ workerTimeoutSeconds: 45, claimLeaseSeconds: 120, deliveryAttempts: 3 });

    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 270 });
  });

  it('redrives only as a backstop: after three receives per delivery attempt, when the worker never said why', () => {
    const template = synthChannelQueue({ workerTimeoutSeconds: 45, claimLeaseSeconds: 120, deliveryAttempts: 3 });

    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { maxReceiveCount: 9 } });
  });

  it('refuses fewer than one delivery attempt', () => {
    expect(() => synthChannelQueue({ workerTimeoutSeconds: 30, claimLeaseSeconds: 120, deliveryAttempts: 0 })).toThrow(
      /sms: deliveryAttempts must be a whole number of at least 1/,
    );
  });

  it('refuses so many delivery attempts that a job could outwait the queue that keeps it', () => {
    // 130 attempts, 390 receives, up to 15 minutes apart: 98 hours, past the 4 days a job queue keeps a message.
    expect(() =>
      synthChannelQueue({ workerTimeoutSeconds: 30, claimLeaseSeconds: 120, deliveryAttempts: 130 }),
    ).toThrow(/sms: deliveryAttempts \(130\) let a job wait 98 hours, longer than the queue keeps it \(4 days\)/);
    expect(() =>
      synthChannelQueue({ workerTimeoutSeconds: 30, claimLeaseSeconds: 120, deliveryAttempts: 100 }),
    ).not.toThrow();
  });

  it("refuses a worker timeout beyond Lambda's 15 minutes", () => {
    expect(() =>
      synthChannelQueue({ workerTimeoutSeconds: 901, claimLeaseSeconds: 1000, deliveryAttempts: 5 }),
    ).toThrow(/sms: workerTimeoutSeconds must be 1 to 900/);
  });

  it.each([
    [30, 30],
    [30, 60],
    [300, 120],
  ])('refuses a claim lease that does not outlive a %i s worker by the margin (lease %i s)', (timeout, lease) => {
    expect(() =>
      synthChannelQueue({ workerTimeoutSeconds: timeout, claimLeaseSeconds: lease, deliveryAttempts: 3 }),
    ).toThrow(
      new RegExp(
        `sms: claimLeaseSeconds \\(${lease}\\) must be longer than workerTimeoutSeconds \\(${timeout}\\) plus 30 s`,
      ),
    );
  });

  it('accepts a lease longer than the timeout plus the margin', () => {
    expect(() =>
      synthChannelQueue({ workerTimeoutSeconds: 30, claimLeaseSeconds: 61, deliveryAttempts: 3 }),
    ).not.toThrow();
  });
});
