/**
 * Polls `probe` until it returns a value that is not undefined, at most `attempts` times, `intervalMs` apart.
 * Emulators deliver asynchronously like AWS does; a bounded poll waits no longer than needed and fails
 * with `what` when the thing never appears.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { attempts = 40, intervalMs = 250 }: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts, ${intervalMs} ms apart`);
}
