#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { NotificationPlatformStack } from '../lib/notification-platform-stack.js';

const app = new App();
new NotificationPlatformStack(app, 'NotificationPlatform', {
  description: 'Notification platform: one HTTPS endpoint for email, SMS and push, honouring user preferences',
  // `-c protectData=false` for a throwaway stack whose tables may be deleted with it.
  protectData: app.node.tryGetContext('protectData') !== 'false',
});
