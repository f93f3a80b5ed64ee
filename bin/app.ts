#!/usr/bin/env node
import { relative } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadChannelInfrastructure } from '../lib/channel-infrastructure.js';
import { NotificationPlatformStack } from '../lib/notification-platform-stack.js';
import { validatePlatformSettings } from '../lib/settings.js';
import { loadStageConfig, stackName, stageConfigFile, stageFromContext } from '../lib/stage.js';

const app = new App();
// `-c stage=prod` deploys the stage prod, with platform.config.prod.ts (platform.config.ts when there is none), as the
// stack NotificationPlatform-prod; without it, the stage dev (lib/stage.ts).
const stage = stageFromContext(app.node.tryGetContext('stage'));
const configFile = stageConfigFile(stage);
const config = await loadStageConfig(configFile);
// `-c allowedCidrs=203.0.113.0/24,198.51.100.0/24` fences the producers' routes to those addresses without editing
// the settings file (its api.allowedSources), as the deploy test does.
const allowedCidrs = app.node.tryGetContext('allowedCidrs');
const settings = validatePlatformSettings(
  typeof allowedCidrs === 'string'
    ? { ...config, api: { ...config.api, allowedSources: { cidrs: allowedCidrs.split(',') } } }
    : config,
  relative(process.cwd(), configFile),
);
// `-c dax=true` / `-c dax=false` override preferencesCache.enabled: with it, a DAX cluster in a VPC of its own before
// ingest's user reads; without it (as shipped, and on LocalStack, which has no DAX), ingest reads DynamoDB directly.
const dax = app.node.tryGetContext('dax');
if (dax === 'true' || dax === 'false') settings.preferencesCache.enabled = dax === 'true';

new NotificationPlatformStack(app, stackName(stage), {
  description: `Notification platform (${stage}): one HTTPS endpoint for email, SMS and push, honouring user preferences`,
  stage,
  settings,
  channelInfrastructure: await loadChannelInfrastructure(),
  // `-c waf=false`: no AWS WAF, for a LocalStack container (the community edition has none).
  firewall: app.node.tryGetContext('waf') !== 'false',
});
// cdk-nag's AwsSolutions rules run on every synth; each acknowledged finding carries its reason in code.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
