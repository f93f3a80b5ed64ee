/**
 * zod as the platform uses it: its small build, `zod/mini` (functions instead of methods, so a bundle keeps only what
 * it calls: about 40 KB, against 450 KB for the classic build in every function, a third of a cold start's import),
 * with the English messages the classic build loads by itself, which the API's errors quote.
 * Import it as a namespace (`import * as z`), so that the bundler can leave out what is not called.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
