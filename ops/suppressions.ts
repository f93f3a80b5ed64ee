/**
 * `npm run suppressions -- rotate --stage <name>` rotates the peppers that key addresses on the suppression list
 * (docs/operations.md, "Suppression keys"): a new pepper in the SuppressionKeys secret, a wait until every function reads it (the
 * secret's cache age), then every entry re-keyed to it, and the secret marked settled. Nothing is lost on the way:
 * until the re-keying is done, lookups try the key of the generation before too.
 *
 * `npm run suppressions -- rekey --stage <name>` re-keys only, and marks the secret settled: once after deploying over
 * a release before peppers (its entries are unpeppered), or to finish a rotation cut short.
 *
 * `--stack <name>` names the stack in full instead of by its stage (docs/stages.md); `--secret <arn> --table <name>` name
 * the secret and the table instead of a stack's outputs; without either, `rekey`
 * works on the local platform (`npm start`, `--prefix` to name another), with the peppers of SUPPRESSION_KEYS.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { AddressKeyPeppers } from '../lambdas/shared/domain/address-key.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { LOCAL_RESOURCE_NAMES } from '../lambdas/shared/platform/resources.js';
import { SECRET_CACHE_SECONDS } from '../lambdas/shared/platform/rotating-secret.js';
import { parsePeppers } from '../lambdas/shared/platform/suppression-keys.js';
import { integrationEnvironment } from '../local/emulator-environment.js';
import { localEmulatorEndpoints } from '../local/emulators.js';
import { LOCAL_SUPPRESSION_KEYS } from '../local/local-secrets.js';
import { runCommand, UsageError } from './command.js';
import { chosenStack, STACK_OPTIONS, stackOutputs } from './stack-outputs.js';
import { rekeySuppressions } from './suppression-rekey.js';

const USAGE =
  'usage: npm run suppressions -- rotate | rekey  [--stage <name> | --stack <name> | --secret <arn> --table <name> | --prefix <p>] [--wait-seconds <s>]';

/** Where the peppers are and where they go: a secret in Secrets Manager, or the local platform's environment. */
interface Target {
  readonly table: string;
  readonly secretArn?: string;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...STACK_OPTIONS,
      secret: { type: 'string' },
      table: { type: 'string' },
      prefix: { type: 'string' },
      'wait-seconds': { type: 'string', default: String(SECRET_CACHE_SECONDS + 30) },
    },
  });
  const [command, ...rest] = positionals;
  if (rest.length > 0 || (command !== 'rotate' && command !== 'rekey')) throw new UsageError(USAGE);
  const stack = chosenStack(values);
  if (stack && (values.secret || values.table || values.prefix))
    throw new UsageError('give --stage (or --stack), or --secret and --table, or --prefix');
  if (Boolean(values.secret) !== Boolean(values.table)) throw new UsageError('--secret and --table go together');
  const waitSeconds = Number(values['wait-seconds']);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0) throw new UsageError('--wait-seconds takes whole seconds');

  const deployed = Boolean(stack || values.secret);
  if (!deployed) Object.assign(process.env, integrationEnvironment(process.env, localEmulatorEndpoints()));
  const target: Target = stack
    ? await stackTarget(stack)
    : values.secret
      ? { secretArn: values.secret, table: values.table ?? '' }
      : {
          table: LOCAL_RESOURCE_NAMES.table(
            values.prefix ?? (process.env.LOCAL_RESOURCE_PREFIX || 'local'),
            'suppressions',
          ),
        };
  if (command === 'rotate' && !target.secretArn)
    throw new UsageError(
      'rotate works on a deployed stack (--stage or --stack); locally, the peppers are SUPPRESSION_KEYS',
    );

  const secrets = new SecretsManagerClient({});
  const documents = DynamoDBDocument.from(new DynamoDBClient({}));
  let peppers = target.secretArn ? await readPeppers(secrets, target.secretArn) : localPeppers();
  if (command === 'rotate') {
    peppers = {
      current: randomBytes(48).toString('base64url'),
      previous: [...peppers.previous, peppers.current],
      rekeyed: false,
    };
    await writePeppers(secrets, target.secretArn as string, peppers);
    say(`a new pepper is in the secret; waiting ${waitSeconds} s for every function to read it`);
    await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
  }
  const report = await rekeySuppressions(documents, target.table, peppers);
  if (target.secretArn) await writePeppers(secrets, target.secretArn, { ...peppers, rekeyed: true });
  say(
    `re-keyed ${report.rekeyed} of ${report.entries} entries to generation ${peppers.previous.length + 1}` +
      `${report.merged > 0 ? ` (${report.merged} already there under the new key)` : ''}` +
      `${target.secretArn ? '; lookups now use one key' : ''}`,
  );
}

async function readPeppers(client: SecretsManagerClient, secretArn: string): Promise<AddressKeyPeppers> {
  const { SecretString = '{}' } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return parsePeppers(JSON.parse(SecretString));
}

async function writePeppers(client: SecretsManagerClient, secretArn: string, peppers: AddressKeyPeppers) {
  await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(peppers) }));
}

function localPeppers(): AddressKeyPeppers {
  return parsePeppers(JSON.parse(process.env[ENV.suppressionKeys] || LOCAL_SUPPRESSION_KEYS));
}

async function stackTarget(stack: string): Promise<Target> {
  const output = await stackOutputs(stack);
  return { secretArn: output('SuppressionKeysSecretArn'), table: output('SuppressionsTableName') };
}

function say(line: string): void {
  process.stdout.write(`suppressions: ${line}\n`);
}

await runCommand('suppressions', main);
