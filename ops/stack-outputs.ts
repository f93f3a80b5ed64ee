import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvalidStage, stackName, validStage } from '../lib/stage.js';
import { UsageError } from './command.js';

/** The options of an ops command that name a deployed stack, for parseArgs. */
export const STACK_OPTIONS = {
  /** A stage (docs/stages.md): its stack, NotificationPlatform-<stage>. */
  stage: { type: 'string' },
  /** A stack by its full name. */
  stack: { type: 'string' },
} as const;

/** A mistake in --stage or --stack: the command's usage, not a failure. */
export class StackChoiceError extends UsageError {}

/** The stack `--stage` or `--stack` names; undefined for neither (the local platform). */
export function chosenStack(values: { stage?: string; stack?: string }): string | undefined {
  if (values.stage !== undefined && values.stack !== undefined)
    throw new StackChoiceError('give --stage or --stack, not both');
  if (values.stage === undefined) return values.stack;
  try {
    return stackName(validStage(values.stage));
  } catch (error) {
    if (error instanceof InvalidStage) throw new StackChoiceError(`--stage: ${error.message}`);
    throw error;
  }
}

/**
 * A deployed stack's outputs, read once: the ops commands find the queues, tables and secrets of the stack they are
 * given by the output keys lib/notification-platform-stack.ts sets. A missing key says which stack lacked it.
 */
export async function stackOutputs(stack: string): Promise<(key: string) => string> {
  const { Stacks = [] } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
  const outputs = new Map((Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  return (key) => {
    const value = outputs.get(key);
    if (!value) throw new Error(`stack ${stack} has no output ${key}: is it this platform's stack?`);
    return value;
  };
}
