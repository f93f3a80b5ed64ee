import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { NotificationPlatformStack } from '../../lib/notification-platform-stack.js';
import { DEFAULT_STAGE } from '../../lib/stage.js';
import { channelInfrastructure, settingsWith } from './stack-fixture.js';

function synthWithNag(dax: boolean) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: undefined });
  new NotificationPlatformStack(app, 'Nagged', {
    stage: DEFAULT_STAGE,
    channelInfrastructure,
    settings: settingsWith((settings) => {
      settings.preferencesCache.enabled = dax;
      settings.push.apnsPlatformApplicationArn = 'arn:aws:sns:us-east-1:123456789012:app/APNS/acme';
      settings.email.configurationSet = 'acme';
    }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return () => app.synth();
}

describe("cdk-nag's AwsSolutions rules", () => {
  // A finding that is not acknowledged (each acknowledgement carries its reason in code) fails the synth.
  it('find nothing unacknowledged with the preferences cache', () => {
    expect(synthWithNag(true)).not.toThrow();
  });

  it('find nothing unacknowledged without it', () => {
    expect(synthWithNag(false)).not.toThrow();
  });
});
