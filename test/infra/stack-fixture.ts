import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadChannelInfrastructure } from '../../lib/channel-infrastructure.js';
import {
  NotificationPlatformStack,
  type NotificationPlatformStackProps,
} from '../../lib/notification-platform-stack.js';
import { type PlatformSettings, validatePlatformSettings } from '../../lib/settings.js';
import { DEFAULT_STAGE } from '../../lib/stage.js';
import config from '../../platform.config.js';

/** Each channel's part of the stack, from its folder. */
export const channelInfrastructure = await loadChannelInfrastructure();

export function settingsWith(change: (settings: PlatformSettings) => void = () => {}): PlatformSettings {
  const settings = validatePlatformSettings(structuredClone(config));
  change(settings);
  return settings;
}

/** The context `npx cdk synth` runs with: cdk.json's feature flags. */
const PROJECT_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

type StackOptions = Partial<Pick<NotificationPlatformStackProps, 'stage' | 'firewall'>> & {
  /** Synthesize with cdk.json's feature flags, as `npx cdk synth` does (some add resources, e.g. a custom resource). */
  readonly projectContext?: boolean;
};

/** The stack, without bundling the functions (their code does not change the template's shape). */
export function buildStack(
  settings: PlatformSettings = settingsWith(),
  options: StackOptions = {},
): NotificationPlatformStack {
  const { projectContext, ...props } = options;
  const app = new App({ context: { ...(projectContext ? PROJECT_CONTEXT : {}), 'aws:cdk:bundling-stacks': [] } });
  return new NotificationPlatformStack(app, 'Test', {
    stage: DEFAULT_STAGE,
    settings,
    ...props,
    channelInfrastructure,
  });
}

/** The stack's template. */
export function synthStack(settings: PlatformSettings = settingsWith(), options: StackOptions = {}): Template {
  return Template.fromStack(buildStack(settings, options));
}

/** Every action the default policy of a role whose logical id starts with `rolePrefix` allows. */
export function allowedActions(template: Template, rolePrefix: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const actions: string[] = [];
  for (const [logicalId, policy] of Object.entries(policies)) {
    if (!logicalId.startsWith(rolePrefix)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      actions.push(...[statement.Action].flat());
    }
  }
  return actions;
}
