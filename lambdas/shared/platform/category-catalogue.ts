import { CHANNELS } from '../../channels/registry.js';
import type { CategoryCatalogue } from '../domain/categories.js';
import * as z from '../schemas/zod.js';
import { ENV, requiredEnv } from './environment.js';

const catalogueSchema = z.object({
  categories: z.record(
    z.string(),
    z.object({
      label: z.string(),
      labels: z.record(z.string(), z.string()),
      required: z.boolean(),
      defaults: z.object(Object.fromEntries(CHANNELS.map((channel) => [channel, z.boolean()]))),
    }),
  ),
  defaultCategory: z.string(),
});

let catalogue: CategoryCatalogue | undefined;

/** The installation's categories (CATEGORIES, from platform.config.ts); read once per function instance. */
export function categoryCatalogue(): CategoryCatalogue {
  catalogue ??= catalogueSchema.parse(JSON.parse(requiredEnv(ENV.categories))) as CategoryCatalogue;
  return catalogue;
}
