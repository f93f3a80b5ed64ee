/**
 * `npm run dlq -- list [channel]` shows what rests in each channel's dead-letter queue: how many jobs, since
 * when, and why (the reason the worker recorded). `npm run dlq -- redrive <channel>` moves them back to the
 * channel's queue, once the cause is fixed.
 *
 * Against the local platform (`npm start`) by default; `--prefix <p>` names another local prefix, and
 * `--stage <name>` (or `--stack <name>`, the stack's full name) reads a deployed stage's stack outputs instead (with the
 * caller's AWS credentials). `--json` prints the summary as JSON.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { LOCAL_RESOURCE_NAMES } from '../lambdas/shared/platform/resources.js';
import { integrationEnvironment } from '../local/emulator-environment.js';
import { localEmulatorEndpoints } from '../local/emulators.js';
import { type ChannelQueueUrls, locateChannelQueues, MissingLocalQueueError } from '../local/provision.js';
import { runCommand, UsageError } from './command.js';
import { type DeadLetterSummary, DeadLetters } from './dead-letters.js';
import { chosenStack, STACK_OPTIONS, stackOutputs } from './stack-outputs.js';

const CHANNEL_CHOICE = CHANNELS.join('|');
const USAGE = `usage: npm run dlq -- list [${CHANNEL_CHOICE}] | redrive <${CHANNEL_CHOICE}>  [--stage <name> | --stack <name> | --prefix <p>] [--json]`;

interface Resources {
  readonly queues: Record<Channel, ChannelQueueUrls>;
  readonly notificationsTable: string;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...STACK_OPTIONS, prefix: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [command, channelArgument, ...rest] = positionals;
  if (rest.length > 0 || (command !== 'list' && command !== 'redrive')) throw new UsageError(USAGE);
  if (channelArgument !== undefined && !isChannel(channelArgument))
    throw new UsageError(`unknown channel "${channelArgument}": one of ${CHANNELS.join(', ')}`);
  if (command === 'redrive' && channelArgument === undefined) throw new UsageError('redrive needs a channel');
  const stack = chosenStack(values);
  if (stack && values.prefix)
    throw new UsageError(`give ${values.stage ? '--stage' : '--stack'} or --prefix, not both`);

  if (!stack) Object.assign(process.env, integrationEnvironment(process.env, localEmulatorEndpoints()));
  const sqs = new SQSClient({});
  const resources = stack
    ? await deployedResources(stack)
    : await localResources(sqs, values.prefix ?? (process.env.LOCAL_RESOURCE_PREFIX || 'local'));
  const deadLetters = new DeadLetters(sqs, DynamoDBDocument.from(new DynamoDBClient({})), resources.notificationsTable);
  const channels = channelArgument ? [channelArgument] : [...CHANNELS];

  if (command === 'list') {
    const summaries = await Promise.all(
      channels.map((channel) => deadLetters.summarize(channel, resources.queues[channel])),
    );
    process.stdout.write(values.json ? `${JSON.stringify(summaries, null, 2)}\n` : describe(summaries));
    return;
  }
  const channel = channels[0] as Channel;
  const moved = await deadLetters.redrive(resources.queues[channel]);
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ channel, moved })}\n`
      : `moved ${moved} ${channel} job${moved === 1 ? '' : 's'} back to the ${channel} queue\n`,
  );
}

function describe(summaries: readonly DeadLetterSummary[]): string {
  const lines: string[] = [];
  for (const summary of summaries) {
    if (summary.count === 0) {
      lines.push(`${summary.channel}: empty`);
      continue;
    }
    const oldest = summary.oldestSentAt
      ? `, oldest sent ${summary.oldestSentAt.toISOString()} (${age(summary.oldestSentAt)} ago)`
      : '';
    lines.push(`${summary.channel}: ${summary.count} job${summary.count === 1 ? '' : 's'}${oldest}`);
    for (const { reason, count } of summary.reasons) lines.push(`  ${String(count).padStart(6)}  ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function age(since: Date): string {
  const seconds = Math.max(0, Math.round((Date.now() - since.getTime()) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3_600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

async function deployedResources(stackName: string): Promise<Resources> {
  const output = await stackOutputs(stackName);
  const capitalized = (channel: Channel) => `${channel[0]?.toUpperCase()}${channel.slice(1)}`;
  return {
    queues: Object.fromEntries(
      CHANNELS.map((channel) => [
        channel,
        {
          url: output(`${capitalized(channel)}QueueUrl`),
          deadLetterUrl: output(`${capitalized(channel)}DeadLetterQueueUrl`),
        },
      ]),
    ) as Record<Channel, ChannelQueueUrls>,
    notificationsTable: output('NotificationsTableName'),
  };
}

/** The local runtime's resources under `prefix` (local/provision.ts names them). */
async function localResources(sqs: SQSClient, prefix: string): Promise<Resources> {
  try {
    return {
      queues: await locateChannelQueues(sqs, prefix),
      notificationsTable: LOCAL_RESOURCE_NAMES.table(prefix, 'notifications'),
    };
  } catch (error) {
    if (!(error instanceof MissingLocalQueueError)) throw error;
    throw new Error(`${error.message}: start the platform with \`npm start\`, or give --prefix or --stage`);
  }
}

function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

await runCommand('dlq', main);
