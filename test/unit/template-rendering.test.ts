import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { render as renderEmail } from '../../lambdas/channels/email/render.js';
import { render as renderPush } from '../../lambdas/channels/push/render.js';
import { render as renderSms } from '../../lambdas/channels/sms/render.js';
import { htmlToText } from '../../lambdas/shared/templates/html-to-text.js';
import { liquid } from '../../lambdas/shared/templates/liquid-engine.js';
import { TemplateRenderError } from '../../lambdas/shared/templates/render.js';
import { templateProblems } from '../../lambdas/templates/template-problems.js';
import { SHIPPED_CATEGORIES } from '../support/categories.js';
import { SLOW_MARKUP } from '../support/hostile-templates.js';

const ada = { name: 'Ada', orderId: 'A-1042', items: ['tea', 'scones'] };
const hostile = { name: '<script>alert("hi")</script>', note: 'a<b & c>d', entity: '&lt;' };

async function renderError(rendering: Promise<unknown>): Promise<TemplateRenderError> {
  const error = await rendering.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TemplateRenderError);
  return error as TemplateRenderError;
}

describe('renderEmail', () => {
  it('renders subject, HTML and a plain-text part over the payload', async () => {
    const email = await renderEmail(
      {
        subject: 'Order {{ orderId }} shipped',
        body: '<h1>Hello {{ name }}</h1><p>Your order:</p><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>',
      },
      ada,
    );

    expect(email).toEqual({
      subject: 'Order A-1042 shipped',
      html: '<h1>Hello Ada</h1><p>Your order:</p><ul><li>tea</li><li>scones</li></ul>',
      text: 'Hello Ada\n\nYour order:\n\ntea\nscones',
    });
  });

  it('escapes payload values in the HTML part, and keeps the template markup', async () => {
    const { html } = await renderEmail(
      { subject: 'Hi', body: '<p class="greeting">Hi {{ name }}, {{ note }}</p>' },
      hostile,
    );

    expect(html).toBe(
      '<p class="greeting">Hi &lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;, a&lt;b &amp; c&gt;d</p>',
    );
  });

  it('shows payload values in the text part as the HTML part shows them, never reading them as markup', async () => {
    const { text } = await renderEmail(
      { subject: 'Hi', body: '<p>{{ name }}</p><p>{{ note }} {{ entity }}</p>' },
      hostile,
    );

    expect(text).toBe('<script>alert("hi")</script>\n\na<b & c>d &lt;');
  });

  it('lets the template opt out of escaping with raw, and still drops script from the text part', async () => {
    const email = await renderEmail(
      { subject: 'Hi', body: '<p>Before</p>{{ html | raw }}<p>After</p>' },
      { html: '<script>steal()</script><b>bold</b>' },
    );

    expect(email.html).toBe('<p>Before</p><script>steal()</script><b>bold</b><p>After</p>');
    expect(email.text).toBe('Before\n\nbold\n\nAfter');
  });

  it('collapses line breaks in the subject, so a payload cannot start a header of its own', async () => {
    const { subject } = await renderEmail(
      { subject: '  Hello {{ name }}  ', body: 'x' },
      { name: 'Ada\r\nBcc: everyone@example.com\n\nbody' },
    );

    expect(subject).toBe('Hello Ada Bcc: everyone@example.com body');
  });

  it('does not escape the subject: it is text, not HTML', async () => {
    const { subject } = await renderEmail({ subject: 'Tom & {{ name }}', body: 'x' }, { name: 'Jerry <3' });

    expect(subject).toBe('Tom & Jerry <3');
  });
});

describe('htmlToText', () => {
  it('breaks lines at blocks and collapses the source whitespace between them', () => {
    const html = `
      <div>
        <h2>Receipt</h2>
        <table>
          <tr><td>Tea</td><td>2.50</td></tr>
          <tr><td>Scones</td><td>4.00</td></tr>
        </table>
        <p>Thanks,<br>the
           shop</p>
      </div>`;

    expect(htmlToText(html)).toBe('Receipt\n\nTea 2.50\nScones 4.00\n\nThanks,\nthe shop');
  });

  it('keeps the blank lines that line breaks ask for, but never more than one in a row', () => {
    expect(htmlToText('one<br><br>two<br><br><br><br>three')).toBe('one\n\ntwo\n\nthree');
  });

  it('decodes entities', () => {
    expect(
      htmlToText('Tom &amp; Jerry&nbsp;&lt;3 &quot;x&quot; &#39;y&#39; &#x27;z&#x27; &euro;5 &unknown; &#0;'),
    ).toBe("Tom & Jerry <3 \"x\" 'y' 'z' €5 &unknown; \ufffd");
  });

  it('drops script and style content, whatever their case, attributes or end tags look like', () => {
    const html = [
      '<style>p { color: red }</style>',
      '<SCRIPT type="text/javascript">alert(1)</SCRIPT>',
      '<script data-x="a>b">alert(2)</script >',
      '<script>document.write("</p>hidden")</script/>',
      '<script><!--<script></script>alert(3)</script>',
      '<p>shown</p>',
    ].join('');

    expect(htmlToText(html)).toBe('shown');
  });

  it('drops everything after a script that never ends, as a browser does', () => {
    expect(htmlToText('<p>shown</p><script>alert(1)<p>hidden</p>')).toBe('shown');
  });

  it('drops the head, comments and declarations', () => {
    const html =
      '<!DOCTYPE html><html><head><title>Newsletter</title><meta charset="utf-8"></head>' +
      '<body><!-- tracking <p>pixel</p> --><p>Hello</p><!----><?xml-stylesheet?></body></html>';

    expect(htmlToText(html)).toBe('Hello');
  });

  it('ends a comment where the spec does: at "-->" or "--!>", but not at "--!->"', () => {
    expect(htmlToText('a<!-- x --!>b<!-- y --->c<!-- z --!-> still the comment -->d')).toBe('abcd');
  });

  it('keeps a "<" that does not start a tag', () => {
    expect(htmlToText('1 < 2 and 3 <= 4 <3')).toBe('1 < 2 and 3 <= 4 <3');
  });

  it('adds where a link goes, unless its text already says so', () => {
    expect(htmlToText('<a href="https://example.com/reset?t=1&amp;u=2">Reset your password</a>')).toBe(
      'Reset your password (https://example.com/reset?t=1&u=2)',
    );
    expect(htmlToText('<a href="https://example.com">https://example.com</a>')).toBe('https://example.com');
    expect(htmlToText('<a href="mailto:help@example.com">help@example.com</a>')).toBe('help@example.com');
    expect(htmlToText('<a href="https://example.com"><img src="logo.png"></a>')).toBe('https://example.com');
    expect(htmlToText('<a href="javascript:alert(1)">Click</a>')).toBe('Click');
  });
});

describe('htmlToText, for any markup around a script', () => {
  const markup = fc.string({
    unit: fc.constantFrom(
      '<',
      '>',
      '/',
      '!',
      '-',
      '"',
      "'",
      '=',
      ' ',
      '&',
      ';',
      'a',
      'p',
      'br',
      'script',
      'style',
      'x',
    ),
    maxLength: 40,
  });

  // Whatever the markup before left open — a tag, a quoted value, a comment — this closes it, so what follows is a
  // script for a browser too. (Without it, "<a" + "<script>" is one tag named "a<script", and no script at all.)
  const closeAnything = `"'>-->`;

  it('never shows what the script holds', () => {
    fc.assert(
      fc.property(markup, markup, (before, after) => {
        expect(htmlToText(`${before}${closeAnything}<script>SECRET</script>${after}`)).not.toContain('SECRET');
        expect(htmlToText(`${before}${closeAnything}<style>SECRET</style>${after}`)).not.toContain('SECRET');
      }),
      { numRuns: 2000 },
    );
  });

  it('always finishes', () => {
    fc.assert(
      fc.property(markup, (html) => {
        expect(typeof htmlToText(html)).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('htmlToText, over a million characters of markup made to be slow', () => {
  // How long each takes is measured by `npm run bench` (rendering); here, that each ends, with the right text. The
  // minute allowed is no speed limit: a scan that goes over the rest of the document again for each piece of markup
  // took minutes on the comments.
  const expected: Record<keyof typeof SLOW_MARKUP, (text: string) => boolean> = {
    comments: (text) => text === '',
    comments_ended_by_bang: (text) => text === '',
    tags_never_closed: (text) => text.replace(/\s+/g, '').startsWith('yyy'),
    blocks_nested_90000_deep: (text) => text === 'x',
    lone_less_than_signs: (text) => text.startsWith('<<<'),
    scripts: (text) => text === '',
  };
  it.each(Object.entries(SLOW_MARKUP))(
    'converts %s',
    (name, html) => {
      const text = htmlToText(html);
      expect(expected[name]?.(text), text.slice(0, 80)).toBe(true);
    },
    60_000,
  );
});

describe('renderSms and renderPush', () => {
  it('render plain text without escaping, trimmed', async () => {
    expect(
      await renderSms({ body: '\n{{ name }} & co: order {{ orderId }} shipped\n' }, { ...ada, name: 'Ada <3' }),
    ).toEqual({
      body: 'Ada <3 & co: order A-1042 shipped',
      encoding: 'GSM-7',
      characters: 33,
      segments: 1,
    });
    expect(await renderPush({ title: '{{ name }} & co', body: 'Order {{ orderId }}' }, ada)).toEqual({
      title: 'Ada & co',
      body: 'Order A-1042',
    });
  });

  it('count the segments of what was rendered', async () => {
    expect(await renderSms({ body: 'Hi {{ name }} 👋' }, ada)).toMatchObject({ encoding: 'UCS-2', segments: 1 });
  });
});

describe('templates see the payload and nothing else', () => {
  it('render a prototype property as nothing', async () => {
    const { title, body } = await renderPush(
      { title: '[{{ constructor }}][{{ __proto__ }}][{{ toString }}]', body: '[{{ name.constructor }}]' },
      ada,
    );

    expect([title, body]).toEqual(['[][][]', '[]']);
  });

  it('leave the payload as it was', async () => {
    const payload = { name: 'Ada' };
    await renderPush({ title: '{% assign name = "Eve" %}{{ name }}', body: 'x' }, payload);

    expect(payload).toEqual({ name: 'Ada' });
  });
});

describe('a template that cannot be rendered', () => {
  it('names the field that refuses to include another template', async () => {
    const error = await renderError(renderEmail({ subject: 'Hi', body: '<p>{% include "footer" %}</p>' }, ada));

    expect(error.field).toBe('email.body');
    expect(error.message).toMatch(/^does not compile: the "include" tag is not allowed/);
  });

  it('names the field with an unknown filter', async () => {
    const error = await renderError(renderEmail({ subject: '{{ name | shout }}', body: 'x' }, ada));

    expect(error.field).toBe('email.subject');
    expect(error.message).toMatch(/undefined filter: shout/);
  });

  it('refuses render and layout too, in every channel', async () => {
    expect((await renderError(renderSms({ body: '{% render "x" %}' }, ada))).field).toBe('sms.body');
    expect((await renderError(renderPush({ title: 'x', body: '{% layout "x" %}' }, ada))).field).toBe('push.body');
    expect((await renderError(renderPush({ title: '{{ x | nope }}', body: 'x' }, ada))).field).toBe('push.title');
  });

  it('stops a runaway range before it allocates it', async () => {
    const error = await renderError(renderSms({ body: '{% for i in (1..100000000) %}x{% endfor %}' }, ada));

    expect(error.field).toBe('sms.body');
    expect(error.message).toMatch(/limit exceeded/);
  });

  it('stops a runaway loop of small ranges', async () => {
    const error = await renderError(
      renderEmail(
        {
          subject: 'x',
          body: '{% for i in (1..5000) %}{% for j in (1..5000) %}<p>{{ i }}</p>{% endfor %}{% endfor %}',
        },
        ada,
      ),
    );

    expect(error.field).toBe('email.body');
    expect(error.message).toMatch(/limit exceeded/);
  });

  it('stops a string that doubles itself', async () => {
    const body = '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}';

    expect((await renderError(renderSms({ body }, ada))).message).toMatch(/limit exceeded/);
  });
});

describe('templateProblems', () => {
  it('still reports the parts that do not compile, and only those', () => {
    expect(
      templateProblems(
        {
          critical: false,
          email: { subject: '{{ name | shout }}', body: '<p>{{ name }}</p>' },
          sms: { body: '{% include "x" %}' },
        },
        SHIPPED_CATEGORIES,
      ),
    ).toEqual([
      { field: 'email.subject', message: expect.stringMatching(/^does not compile: undefined filter: shout/) },
      { field: 'sms.body', message: expect.stringMatching(/^does not compile: the "include" tag is not allowed/) },
    ]);
  });

  it('compiles with the same engine it exports', () => {
    expect(() => liquid.parse('{% render "x" %}')).toThrow(/not allowed/);
  });

  it('refuses a category the installation does not have, and a critical type outside the required ones', () => {
    const part = { email: { subject: 's', body: 'b' } };

    expect(templateProblems({ critical: false, category: 'newsletters', ...part }, SHIPPED_CATEGORIES)).toEqual([
      { field: 'category', message: 'is not a category; the categories are security, orders, marketing' },
    ]);
    expect(templateProblems({ critical: true, category: 'marketing', ...part }, SHIPPED_CATEGORIES)).toEqual([
      {
        field: 'category',
        message: expect.stringMatching(/^a critical type must belong to a required category \(security\)/),
      },
    ]);
    expect(templateProblems({ critical: true, category: 'security', ...part }, SHIPPED_CATEGORIES)).toEqual([]);
    expect(templateProblems({ critical: true, ...part }, SHIPPED_CATEGORIES)).toEqual([]);
  });

  it('refuses a digest or a frequency cap on a type that must arrive at once: critical, or of a required category', () => {
    const part = { email: { subject: 's', body: 'b' } };
    const digest = { window_seconds: 600, max_items: 10 };
    const throttle = { limit: 3, window_seconds: 3600 };

    expect(templateProblems({ critical: true, digest, throttle, ...part }, SHIPPED_CATEGORIES)).toEqual([
      { field: 'throttle', message: 'is not allowed on a critical type: it must arrive at once, every time' },
      { field: 'digest', message: 'is not allowed on a critical type: it must arrive at once, every time' },
    ]);
    expect(templateProblems({ critical: false, category: 'security', digest, ...part }, SHIPPED_CATEGORIES)).toEqual([
      {
        field: 'digest',
        message: 'is not allowed on a type of the required category security: it must arrive at once, every time',
      },
    ]);
    expect(
      templateProblems({ critical: false, category: 'marketing', digest, throttle, ...part }, SHIPPED_CATEGORIES),
    ).toEqual([]);
  });
});
