/**
 * The render process: a child of a function's process that renders one template at a time, told what over its
 * IPC channel, and answers the same way. It holds nothing but the template engine: no credentials (its environment
 * is empty), no clients. Its parent (bounded-renderer.ts) kills it when a render takes too long or its heap runs out,
 * and starts another. It ends when its parent does.
 */

import { TemplateRenderError } from './render.js';
import { renderInProcess } from './render-in-process.js';
import type { RenderReply, RenderRequest } from './render-protocol.js';

process.on('message', async ({ id, request }: { id: number; request: RenderRequest }) => {
  let reply: RenderReply;
  try {
    reply = { id, rendered: await renderInProcess(request.channel, request.part, request.payload, request.locale) };
  } catch (error) {
    reply =
      error instanceof TemplateRenderError
        ? { id, failed: { field: error.field, message: error.message, limitExceeded: error.limitExceeded } }
        : { id, failed: { field: request.channel, message: String((error as Error).message), limitExceeded: false } };
  }
  process.send?.(reply);
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
