import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/**
 * A deployed stack's outputs, read once: the ops commands find the queues, tables and secrets of the stack they are
 * given by the output keys lib/notification-platform-stack.ts sets. A missing key says which stack lacked it.
 */
export async function stackOutputs(stackName: string): Promise<(key: string) => string> {
  const { Stacks = [] } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  return (key) => {
    const value = outputs.get(key);
    if (!value) throw new Error(`stack ${stackName} has no output ${key}: is it this platform's stack?`);
    return value;
  };
}
