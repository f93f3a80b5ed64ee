import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PlatformConfig } from './settings.js';

/**
 * A stage is one deployment of the platform (dev, prod, a developer's own): `-c stage=<name>` picks it, its settings
 * come from platform.config.<name>.ts (platform.config.ts when it has no file of its own), and the stack's name, its
 * tags and every name that must be unique in an account and region carry it, so that stages deploy side by side.
 */
export const DEFAULT_STAGE = 'dev';

/** The stage whose tables are retained on stack deletion and protected from deletion. */
export const PRODUCTION_STAGE = 'production';

// Short enough for the tightest name that carries it: an X-Ray sampling rule's 32 characters (notify-<stage>-t0).
const STAGE_NAME = /^[a-z][a-z0-9-]{0,20}$/;

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export class InvalidStage extends Error {
  constructor(stage: string) {
    super(`stage "${stage}" must be 1 to 21 characters of a-z 0-9 -, starting with a letter`);
    this.name = 'InvalidStage';
  }
}

/** The stage named, checked: `-c stage=<name>` to the CDK app, `--stage <name>` to an ops command. */
export function validStage(stage: string): string {
  if (!STAGE_NAME.test(stage)) throw new InvalidStage(stage);
  return stage;
}

/** The stage `-c stage=<name>` names, checked; the default stage without it. */
export function stageFromContext(context: unknown): string {
  return validStage(context === undefined ? DEFAULT_STAGE : String(context));
}

/** The CloudFormation stack of a stage: NotificationPlatform-dev. */
export function stackName(stage: string): string {
  return `NotificationPlatform-${stage}`;
}

/** A physical name of the stage's own (an API, a usage plan, a dashboard): notification-platform-dev-<part>. */
export function resourceName(stage: string, ...parts: string[]): string {
  return ['notification-platform', stage, ...parts].join('-');
}

/** The settings file of a stage: platform.config.<stage>.ts when there is one, platform.config.ts otherwise. */
export function stageConfigFile(stage: string, directory: string = PROJECT_ROOT): string {
  const own = join(directory, `platform.config.${stage}.ts`);
  return existsSync(own) ? own : join(directory, 'platform.config.ts');
}

/** What a stage's settings file exports, as written: its `satisfies PlatformConfig` is no check at run time. */
export async function loadStageConfig(file: string): Promise<PlatformConfig> {
  const module: { default?: PlatformConfig } = await import(pathToFileURL(file).href);
  if (module.default === undefined) throw new Error(`${file} has no default export: export default { ... }`);
  return module.default;
}
