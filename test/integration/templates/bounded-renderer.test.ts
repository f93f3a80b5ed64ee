import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BoundedRenderer,
  RENDER_BOUNDS,
  RenderInterrupted,
  RenderLimitExceeded,
} from '../../../lambdas/shared/templates/bounded-renderer.js';
import { HOSTILE_TEMPLATES, MEMORY_BOMB, PAYLOAD_BOMB } from '../../support/hostile-templates.js';

// The render processes are real processes: the bounds are the operating system's and V8's, not the engine's.
const renderers: BoundedRenderer[] = [];
const renderer = (bounds: Partial<typeof RENDER_BOUNDS> = {}) => {
  const created = new BoundedRenderer({ ...RENDER_BOUNDS, ...bounds });
  renderers.push(created);
  return created;
};
afterAll(() => {
  for (const created of renderers) created.close();
});

const failure = (rendering: Promise<unknown>) =>
  rendering.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('BoundedRenderer', () => {
  it('renders what the engine renders, in a process of its own', async () => {
    const bounded = renderer();

    const email = await bounded.render(
      'email',
      { subject: 'Hi {{ name }}', body: '<p>Hi <b>{{ name }}</b></p>' },
      {
        name: '<Ada>',
      },
    );

    expect(email).toEqual({ subject: 'Hi <Ada>', html: '<p>Hi <b>&lt;Ada&gt;</b></p>', text: 'Hi <Ada>' });
    expect(bounded.pids()).toHaveLength(1);
    expect(bounded.pids()).not.toContain(process.pid);
  });

  it('kills a render that used its CPU time, then renders the next one in a new process', async () => {
    const bounded = renderer({ processes: 1 });
    await bounded.render('sms', { body: 'warm' }, {});
    const [first] = bounded.pids();

    const error = await failure(bounded.render('sms', { body: PAYLOAD_BOMB.template }, PAYLOAD_BOMB.payload));
    const next = await bounded.render<{ body: string }>('sms', { body: 'Code {{ code }}' }, { code: '42' });

    expect(error).toBeInstanceOf(RenderLimitExceeded);
    expect((error as RenderLimitExceeded).limit).toBe('cpu_time');
    expect(next.body).toBe('Code 42');
    expect(bounded.pids()).not.toContain(first);
  });

  // The memory tests give the render all the CPU time it could want, so that on a busy machine the CPU budget cannot
  // end the render before the memory bound they check does.
  const plentyOfCpu = { cpuMs: 120_000, starvedAfterMs: 120_000 };

  it('kills a render that grows its process past the memory it may add, however it allocates', async () => {
    const bounded = renderer({ ...plentyOfCpu, memoryMb: 16 });

    const error = await failure(bounded.render('sms', { body: MEMORY_BOMB.template }, MEMORY_BOMB.payload));

    expect(error).toBeInstanceOf(RenderLimitExceeded);
    expect((error as RenderLimitExceeded).limit).toBe('memory');
  });

  it('fails a render whose process ran out of heap (V8 ended it) as over the memory limit too', async () => {
    const bounded = renderer({ ...plentyOfCpu, heapMb: 32, memoryMb: 10_000 });

    const error = await failure(bounded.render('sms', { body: MEMORY_BOMB.template }, MEMORY_BOMB.payload));

    expect(error).toBeInstanceOf(RenderLimitExceeded);
    expect((error as RenderLimitExceeded).limit).toBe('memory');
  });

  it('fails a range past the engine limit at once, without killing the process', async () => {
    const bounded = renderer({ processes: 1 });
    await bounded.render('sms', { body: 'warm' }, {});
    const pids = bounded.pids();

    const error = await failure(bounded.render('sms', { body: HOSTILE_TEMPLATES['a five-million range, sorted'] }, {}));

    expect(error).toBeInstanceOf(RenderLimitExceeded);
    expect((error as RenderLimitExceeded).limit).toBe('engine');
    expect(bounded.pids()).toEqual(pids);
  });

  it('gives up a render starved of CPU as interrupted, to be retried, not as the template’s fault', async () => {
    // The process gets no CPU at all (stopped): its render uses none of its budget while the wall clock runs.
    const bounded = renderer({ processes: 1, starvedAfterMs: 500 });
    await bounded.render('sms', { body: 'warm' }, {});
    const [pid] = bounded.pids();

    const rendering = failure(bounded.render('sms', { body: PAYLOAD_BOMB.template }, PAYLOAD_BOMB.payload));
    process.kill(pid as number, 'SIGSTOP');
    const error = await rendering;

    expect(error).toBeInstanceOf(RenderInterrupted);
    expect((error as RenderInterrupted).reason).toBe('starved');
  });

  it('keeps no process from ending: a warm render process waits on nothing', () => {
    const script =
      "import { BoundedRenderer } from './lambdas/shared/templates/bounded-renderer.ts'; new BoundedRenderer().warm();";

    const ended = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      timeout: 30_000,
    });

    expect(ended.error).toBeUndefined();
    expect(ended.status).toBe(0);
  });

  it('answers a render whose process was killed from outside as interrupted', async () => {
    const bounded = renderer({ processes: 1 });
    await bounded.render('sms', { body: 'warm' }, {});
    const [pid] = bounded.pids();

    const rendering = failure(bounded.render('sms', { body: PAYLOAD_BOMB.template }, PAYLOAD_BOMB.payload));
    process.kill(pid as number, 'SIGKILL');

    expect(await rendering).toMatchObject({ name: 'RenderInterrupted', reason: 'process_exited' });
  });
});
