/**
 * Paging of a list: how many items a page holds, and the cursor that says where the next page starts. A cursor is the
 * table's key of the last item read (DynamoDB's LastEvaluatedKey), in base64url: opaque to a caller, who gives back
 * what a page answered. Pure.
 */
import * as z from './zod.js';

/** A page's size, from a query string: digits only, so " 5", "5.0" or "1e1" are refused rather than read as 5. */
export function pageLimitSchema(most: number) {
  const message = `must be a whole number from 1 to ${most}`;
  return z.pipe(
    z.transform((value: string | number) =>
      typeof value === 'string' && /^[0-9]{1,6}$/.test(value) ? Number(value) : value,
    ),
    z.number({ error: message }).check(z.int(message), z.minimum(1, message), z.maximum(most, message)),
  );
}

/** The cursor of the page after the one that ended at `key`. */
export function pageCursor(key: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** A cursor as `pageCursor` makes them, read back into the key it holds; anything else is refused. */
export function pageCursorSchema<Key extends z.ZodMiniType>(keySchema: Key) {
  const message = 'is not a cursor this list answered: give back next_cursor as it came';
  return z.pipe(
    z
      .string()
      .check(
        z.maxLength(256, message),
        z.regex(/^[A-Za-z0-9_-]+$/, message),
        z.describe('next_cursor of the page before; leave it out for the first page'),
      ),
    z.transform((cursor, context) => {
      const key = keySchema.safeParse(decoded(cursor));
      if (key.success) return key.data as z.output<Key>;
      context.issues.push({ code: 'custom', message, input: cursor });
      return z.NEVER;
    }),
  );
}

function decoded(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
