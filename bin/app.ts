#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadChannelInfrastructure } from '../lib/channel-infrastructure.js';
import { NotificationPlatformStack } from '../lib/notification-platform-stack.js';
import { validatePlatformSettings } from '../lib/settings.js';
import config from '../platform.config.js';

const app = new App();
const settings = validatePlatformSettings(config);
// `-c dax=false`: no DAX cluster and no VPC (LocalStack deploys, small installs); ingest reads DynamoDB directly.
if (app.node.tryGetContext('dax') === 'false') settings.preferencesCache.enabled = false;

new NotificationPlatformStack(app, `NotificationPlatform-${settings.environment}`, {
  description: 'Notification platform: one HTTPS endpoint for email, SMS and push, honouring user preferences',
  settings,
  channelInfrastructure: await loadChannelInfrastructure(),
  // `-c waf=false`: no AWS WAF, for a LocalStack container (the community edition has none).
  firewall: app.node.tryGetContext('waf') !== 'false',
});
// cdk-nag's AwsSolutions rules run on every synth; each acknowledged finding carries its reason in code.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
