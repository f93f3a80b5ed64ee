/**
 * Template rendering: what bounding it costs a normal template (the same render in the worker's own process, as
 * before the render processes, and through a warm render process), and what the hostile templates cost now: the
 * time to their verdict, while a normal render waits beside them, and the peak memory of the worker's process and
 * of its render processes meanwhile.
 */
import { readFileSync } from 'node:fs';
import { render as renderEmail } from '../lambdas/channels/email/render.js';
import { BoundedRenderer, RENDER_BOUNDS } from '../lambdas/shared/templates/bounded-renderer.js';
import { htmlToText } from '../lambdas/shared/templates/html-to-text.js';
import { HOSTILE_TEMPLATES, MEMORY_BOMB, PAYLOAD_BOMB, SLOW_MARKUP } from '../test/support/hostile-templates.js';
import { percentile, round } from './measure.js';

const NORMAL = {
  subject: 'Your order {{ order_id }} has shipped',
  body: '<p>Hello {{ name | default: "there" }},</p><p>your order <b>{{ order_id }}</b> is on its way.</p>',
};
const PAYLOAD = { order_id: 'A-1001', name: 'Ada' };

export interface RenderingResult {
  readonly figures: Record<string, number>;
  /** Converting a million characters of markup made to be slow to the email's text part, in this process (ms). */
  readonly htmlToTextMs: Record<string, number>;
  readonly hostile: Record<string, { verdict: string; ms: number; next_render_ms: number }>;
}

export async function measureRendering(samples: number): Promise<RenderingResult> {
  const inProcess = await timeEach(samples, () => renderEmail(NORMAL, PAYLOAD));
  const renderer = new BoundedRenderer(RENDER_BOUNDS);
  try {
    await renderer.warm();
    const bounded = await timeEach(samples, () => renderer.render('email', NORMAL, PAYLOAD));
    const batch = await timeEach(Math.ceil(samples / 10), () =>
      Promise.all(Array.from({ length: 10 }, () => renderer.render('email', NORMAL, PAYLOAD))),
    );

    const peak = new PeakMemory(renderer);
    const hostile: RenderingResult['hostile'] = {};
    const cases: Record<string, { template: string; payload: Record<string, unknown> }> = {
      ...Object.fromEntries(
        Object.entries(HOSTILE_TEMPLATES).map(([name, template]) => [name, { template, payload: {} }]),
      ),
      'a triple loop over a 1,500-item payload list': PAYLOAD_BOMB,
      'half a million encoded copies of a payload string': MEMORY_BOMB,
    };
    for (const [name, { template, payload }] of Object.entries(cases)) {
      // Every render process warm again (a killed one is replaced at once), as the next batch would find them.
      await renderer.warm();
      const started = performance.now();
      // A normal render sent right after the hostile one, as the next job of the same batch would be.
      const [verdict, nextMs] = await Promise.all([
        renderer.render('sms', { body: template }, payload).then(
          () => 'rendered',
          (error: Error) => `${error.name}${'limit' in error ? ` (${String(error.limit)})` : ''}`,
        ),
        (async () => {
          const next = performance.now();
          await renderer.render('email', NORMAL, PAYLOAD);
          return performance.now() - next;
        })(),
      ]);
      hostile[name] = { verdict, ms: round(performance.now() - started, 0), next_render_ms: round(nextMs, 1) };
    }
    peak.stop();

    // Median of three: each input is a million characters, converted once per email, inside the render's CPU budget.
    const htmlToTextMs = Object.fromEntries(
      Object.entries(SLOW_MARKUP).map(([name, html]) => {
        const times = Array.from({ length: 3 }, () => {
          const started = performance.now();
          htmlToText(html);
          return performance.now() - started;
        });
        return [name, round(percentile(times, 50), 0)];
      }),
    );

    return {
      htmlToTextMs,
      figures: {
        samples,
        in_process_p50_ms: round(percentile(inProcess, 50), 3),
        in_process_p99_ms: round(percentile(inProcess, 99), 3),
        render_process_p50_ms: round(percentile(bounded, 50), 3),
        render_process_p99_ms: round(percentile(bounded, 99), 3),
        overhead_p50_ms: round(percentile(bounded, 50) - percentile(inProcess, 50), 3),
        batch_of_10_p50_ms: round(percentile(batch, 50), 2),
        worker_rss_before_mb: round(peak.workerBeforeMb, 0),
        worker_peak_rss_mb: round(peak.workerMb, 0),
        render_process_peak_rss_mb: round(peak.renderMb, 0),
        cpu_budget_ms: RENDER_BOUNDS.cpuMs,
        heap_limit_mb: RENDER_BOUNDS.heapMb,
        memory_limit_mb: RENDER_BOUNDS.memoryMb,
      },
      hostile,
    };
  } finally {
    renderer.close();
  }
}

async function timeEach(count: number, work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times;
}

/** The highest resident memory, sampled every 5 ms, of this process (the worker's) and of its render processes. */
class PeakMemory {
  readonly workerBeforeMb = process.memoryUsage().rss / 2 ** 20;
  workerMb = this.workerBeforeMb;
  renderMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(renderer: BoundedRenderer) {
    this.timer = setInterval(() => {
      this.workerMb = Math.max(this.workerMb, process.memoryUsage().rss / 2 ** 20);
      for (const pid of renderer.pids()) this.renderMb = Math.max(this.renderMb, residentMb(pid) ?? 0);
    }, 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function residentMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kilobytes === undefined ? undefined : Number(kilobytes) / 1024;
  } catch {
    return undefined;
  }
}
