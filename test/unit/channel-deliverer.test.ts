import { describe, expect, it } from 'vitest';
import { render as renderSms } from '../../lambdas/channels/sms/render.js';
import { isFailure, renderedOrFailure } from '../../lambdas/shared/delivery/channel-deliverer.js';
import { RenderInterrupted, RenderLimitExceeded } from '../../lambdas/shared/templates/bounded-renderer.js';

describe('renderedOrFailure', () => {
  it('answers the rendered content of a template that renders', async () => {
    const sms = await renderedOrFailure(renderSms({ body: 'Code {{ code }}' }, { code: '42' }));

    expect(isFailure(sms)).toBe(false);
    expect(sms).toMatchObject({ body: 'Code 42' });
  });

  it('turns a template that does not render into a permanent failure naming the field', async () => {
    const sms = await renderedOrFailure(renderSms({ body: '{{ code | nosuch }}' }, { code: '42' }));

    expect(sms).toEqual({ kind: 'permanent', reason: 'render_failed:sms.body' });
  });

  it('turns a render over its limits into a permanent render_limit_exceeded, whoever noticed', async () => {
    const cpu = await renderedOrFailure(Promise.reject(new RenderLimitExceeded('sms', 'cpu_time')));
    const engine = await renderedOrFailure(renderSms({ body: '{% assign a = (1..5000000) %}{{ a | size }}' }, {}));

    expect(cpu).toEqual({ kind: 'permanent', reason: 'render_limit_exceeded' });
    expect(engine).toEqual({ kind: 'permanent', reason: 'render_limit_exceeded' });
  });

  it('turns an interrupted render (starved of CPU, its process lost) into a transient failure: retried', async () => {
    const starved = await renderedOrFailure(Promise.reject(new RenderInterrupted('starved')));

    expect(starved).toEqual({ kind: 'transient', reason: 'render_interrupted:starved' });
  });

  it('lets any other error through', async () => {
    await expect(renderedOrFailure(Promise.reject(new TypeError('not a render problem')))).rejects.toThrow(TypeError);
  });
});
