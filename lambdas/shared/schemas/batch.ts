import * as z from './zod.js';

/**
 * A body that lists items carried out one by one (a batch): a bad item is refused in its own result while the others
 * are carried out, so only the envelope is checked before the implementation runs, and each item by it.
 */
export interface BatchBody {
  /** The body's one field, the list. */
  readonly field: string;
  /** What each item must be: checked by the implementation, one by one. */
  readonly item: z.ZodMiniType;
  readonly maxItems: number;
  /** The whole body as a client writes it, items included: what the OpenAPI document and the typed client show. */
  readonly body: z.ZodMiniType;
  /** The body with each item left unchecked: what the handler checks before the implementation runs. */
  readonly envelope: z.ZodMiniType;
  /** A field of each item that plays the Idempotency-Key header's part for that item. */
  readonly itemIdempotencyKey?: string;
}

/** A batch of `field`: 1 to `maxItems` of `item`, as a client writes it and as its envelope is checked. */
export function batchBody<Field extends string, Item extends z.ZodMiniType>(options: {
  readonly field: Field;
  readonly item: Item;
  readonly maxItems: number;
  readonly itemIdempotencyKey?: keyof z.input<Item> & string;
}) {
  const { field, item, maxItems } = options;
  const list = <Element extends z.ZodMiniType>(element: Element) =>
    z
      .array(element)
      .check(
        z.minLength(1, `must hold 1 to ${maxItems} items`),
        z.maxLength(maxItems, `must hold 1 to ${maxItems} items`),
      );
  return {
    ...options,
    body: z.strictObject({ [field]: list(item) } as Record<Field, z.ZodMiniArray<Item>>),
    envelope: z.strictObject({ [field]: list(z.unknown()) } as Record<Field, z.ZodMiniArray<z.ZodMiniUnknown>>),
  } satisfies BatchBody;
}
