import { describe, expect, it } from 'vitest';
import { isFailure, renderedOrFailure } from '../../lambdas/shared/delivery/channel-deliverer.js';
import { renderSms } from '../../lambdas/shared/templates/render.js';

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

  it('lets any other error through', async () => {
    await expect(renderedOrFailure(Promise.reject(new TypeError('not a render problem')))).rejects.toThrow(TypeError);
  });
});
