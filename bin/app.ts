#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadChannelInfrastructure } from '../lib/channel-infrastructure.js';
import { NotificationPlatformStack } from '../lib/notification-platform-stack.js';
import { validatePlatformSettings } from '../lib/settings.js';
import config from '../platform.config.js';

const app = new App();
// `-c allowedCidrs=203.0.113.0/24,198.51.100.0/24` fences the producers' routes to those addresses without editing
// platform.config.ts (its api.allowedSources), as the deploy test does.
const allowedCidrs = app.node.tryGetContext('allowedCidrs');
const settings = validatePlatformSettings(
  typeof allowedCidrs === 'string'
    ? { ...config, api: { ...config.api, allowedSources: { cidrs: allowedCidrs.split(',') } } }
    : config,
);
// `-c dax=true` / `-c dax=false` override preferencesCache.enabled: with it, a DAX cluster in a VPC of its own before
// ingest's user reads; without it (as shipped, and on LocalStack, which has no DAX), ingest reads DynamoDB directly.
const dax = app.node.tryGetContext('dax');
if (dax === 'true' || dax === 'false') settings.preferencesCache.enabled = dax === 'true';

new NotificationPlatformStack(app, `NotificationPlatform-${settings.environment}`, {
  description: 'Notification platform: one HTTPS endpoint for email, SMS and push, honouring user preferences',
  settings,
  channelInfrastructure: await loadChannelInfrastructure(),
  // `-c waf=false`: no AWS WAF, for a LocalStack container (the community edition has none).
  firewall: app.node.tryGetContext('waf') !== 'false',
});
// cdk-nag's AwsSolutions rules run on every synth; each acknowledged finding carries its reason in code.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
