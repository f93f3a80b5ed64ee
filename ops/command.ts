/**
 * How every ops command (`npm run dlq`, `suppressions`, `templates`) ends: its error on stderr as `<name>: message`,
 * exit 2 for a usage mistake, 1 for any other failure or when `main` answers false (it did not succeed), 0 otherwise.
 */

/** A mistake in how the command was called: exit 2. */
export class UsageError extends Error {}

export async function runCommand(name: string, main: (argv: string[]) => Promise<unknown>): Promise<void> {
  try {
    if ((await main(process.argv.slice(2))) === false) process.exitCode = 1;
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    // parseArgs refuses unknown options with its own error codes: those are usage mistakes too.
    const usage = error instanceof UsageError || String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
    process.exitCode = usage ? 2 : 1;
  }
}
