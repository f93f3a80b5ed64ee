/**
 * Writes docs/openapi.json from the operations table (lambdas/shared/platform/operations.ts). Run it after changing a
 * route or a schema: `npm run openapi`. A test fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../lambdas/shared/platform/openapi.js';

export const OPENAPI_FILE = new URL('../docs/openapi.json', import.meta.url);

export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(OPENAPI_FILE, openApiText());
  console.log('wrote docs/openapi.json');
}
