import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TemplateDocument } from '../../lambdas/shared/schemas/template.js';
import { parseTemplateFile, TemplateFileError, templateFileText, templateTypeOf } from '../../ops/template-file.js';
import { describePreviews, previewTemplate } from '../../ops/template-preview.js';
import { pushDecision, templateFingerprint, versionFingerprints } from '../../ops/template-sync.js';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

function fileError(act: () => unknown): TemplateFileError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateFileError);
    return error as TemplateFileError;
  }
  throw new Error('expected a TemplateFileError');
}

describe('parseTemplateFile', () => {
  it('reads the body of PUT /v1/templates/{type}, critical false by default', () => {
    const text = 'category: orders\nsms:\n  body: Order {{ order_id }} has shipped.\n';

    const template = parseTemplateFile('templates/order_shipped.yaml', text);

    expect(template).toEqual({
      critical: false,
      category: 'orders',
      sms: { body: 'Order {{ order_id }} has shipped.' },
    });
  });

  it.each([
    ['an empty part', 'category: orders\nemail:\n  subject: ""\n  body: Hi\n', 'email.subject', /must not be empty/],
    [
      'a field the channel lacks',
      'category: orders\nemail:\n  subject: Hi\n  body: Hi\n  html: <p>Hi</p>\n',
      'email.html',
      /is not a field of a template here/,
    ],
    [
      'a field the template lacks',
      'category: orders\nsms:\n  body: Hi\nfax:\n  body: Hi\n',
      'fax',
      /is not a field of a template here/,
    ],
    [
      'a locale that is no tag',
      'category: orders\nsms:\n  body: Hi\nlocales:\n  Deutsch:\n    sms:\n      body: Hallo\n',
      'locales.Deutsch',
      /language tag/,
    ],
    [
      'a part of a locale',
      'category: orders\nsms:\n  body: Hi\nlocales:\n  de:\n    sms:\n      body: 42\n',
      'locales.de.sms.body',
      /expected string/,
    ],
    ['no category', 'sms:\n  body: Hi\n', 'category', /is required in a template file/],
    ['critical as a word', 'critical: yes\ncategory: security\nsms:\n  body: Hi\n', 'critical', /expected boolean/],
  ])('names the file and the field of %s', (_, text, field, message) => {
    const error = fileError(() => parseTemplateFile('templates/order_shipped.yaml', text));

    expect(error.file).toBe('templates/order_shipped.yaml');
    expect(error.field).toBe(field);
    expect(error.problems[0]?.problem).toMatch(message);
    expect(error.message).toMatch(new RegExp(`^templates/order_shipped\\.yaml: ${field.replace('.', '\\.')}: `));
  });

  it('names every field at fault', () => {
    const error = fileError(() =>
      parseTemplateFile('t/a.yaml', 'category: orders\nemail:\n  subject: Hi\n  html: <p>Hi</p>\n'),
    );

    expect(error.message).toBe(
      't/a.yaml: email.body: Invalid input: expected string, received undefined\n' +
        't/a.yaml: email.html: is not a field of a template here',
    );
  });

  it('names the line of a YAML mistake', () => {
    const error = fileError(() => parseTemplateFile('t/a.yaml', 'category: orders\nsms:\n  body: "unclosed\n'));

    expect(error.message).toBe('t/a.yaml:4:1: Missing closing "quote');
    expect(error.field).toBeUndefined();
  });

  it('refuses a template of no channel as the API does', () => {
    const error = fileError(() => parseTemplateFile('t/a.yaml', 'category: orders\n'));

    expect(error.message).toMatch(/^t\/a\.yaml: must have at least one of email, sms, push$/);
  });
});

describe('templateTypeOf', () => {
  it('is the file name without .yaml', () => {
    expect(templateTypeOf('templates/order.shipped-v2.yaml')).toBe('order.shipped-v2');
  });

  it.each([
    ['templates/Order Shipped.yaml', 'type', /"Order Shipped" \(the file's name\) must be 1 to 64 characters/],
    ['templates/notes.txt', undefined, /is not a template file: templates are <type>\.yaml/],
    ['templates/order_shipped.yml', undefined, /is not a template file/],
  ])('refuses %s', (file, field, message) => {
    const error = fileError(() => templateTypeOf(file));

    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

const source = fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' });
const multiLineSource = fc.array(source, { minLength: 1, maxLength: 4 }).map((lines) => lines.join('\n'));
const email = fc.record({
  subject: source,
  body: fc.oneof(
    source,
    multiLineSource,
    multiLineSource.map((s) => `${s}\n`),
  ),
});
const parts = fc.record(
  { email, sms: fc.record({ body: multiLineSource }), push: fc.record({ title: source, body: source }) },
  { requiredKeys: ['sms'] },
);
const templates: fc.Arbitrary<TemplateDocument> = fc
  .record({
    critical: fc.boolean(),
    category: fc.constantFrom('orders', 'security', 'marketing'),
    parts,
    locales: fc.option(fc.dictionary(fc.constantFrom('de', 'fr', 'pt-BR', 'de-AT'), parts, { minKeys: 1 }), {
      nil: undefined,
    }),
  })
  .map(({ parts: content, locales, ...rest }) => ({ ...rest, ...content, ...(locales ? { locales } : {}) }));

describe('templateFileText', () => {
  it('reads back as the same template, and writes that back as the same text', () => {
    fc.assert(
      fc.property(templates, (template) => {
        const text = templateFileText(template);

        const read = parseTemplateFile('t/a.yaml', text);

        expect(read).toEqual(template);
        expect(templateFileText(read)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('is one text whatever order the fields came in', () => {
    const ordered = templateFileText({
      critical: true,
      category: 'security',
      email: { subject: 'S', body: 'B' },
      sms: { body: 'T' },
      locales: { de: { sms: { body: 'D' } }, fr: { sms: { body: 'F' } } },
    });
    const shuffled = {
      locales: { fr: { sms: { body: 'F' } }, de: { sms: { body: 'D' } } },
      sms: { body: 'T' },
      email: { body: 'B', subject: 'S' },
      category: 'security',
      critical: true,
    } as TemplateDocument;

    expect(templateFileText(shuffled)).toBe(ordered);
    expect(ordered).toBe(
      'critical: true\ncategory: security\nemail:\n  subject: S\n  body: B\nsms:\n  body: T\nlocales:\n  de:\n    sms:\n      body: D\n  fr:\n    sms:\n      body: F\n',
    );
  });

  it("leaves critical out when it is false, the schema's default", () => {
    expect(templateFileText({ critical: false, category: 'orders', sms: { body: 'Hi' } })).toBe(
      'category: orders\nsms:\n  body: Hi\n',
    );
  });

  it('is how every file of templates/ is written, so that pull gives them back byte for byte', async () => {
    const names = (await readdir(TEMPLATES)).filter((name) => name.endsWith('.yaml'));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) {
      const text = await readFile(`${TEMPLATES}${name}`, 'utf8');

      expect(templateFileText(parseTemplateFile(name, text)), name).toBe(text);
    }
  });
});

describe('pushDecision', () => {
  const [a, b, c] = ['a', 'b', 'c'];
  const history = new Set([b, 'older']);

  it.each([
    ['creates what the platform lacks', { local: a, platform: undefined, committed: new Set<string>() }, 'create'],
    ['writes nothing when the platform holds the file', { local: a, platform: a, committed: history }, 'unchanged'],
    [
      'updates when the platform holds a version of the file in git',
      { local: a, platform: b, committed: history },
      'update',
    ],
    ['updates from a version of long ago too', { local: a, platform: 'older', committed: history }, 'update'],
    [
      'refuses when the platform holds no version of the file',
      { local: a, platform: c, committed: history },
      'conflict',
    ],
    ['refuses when git holds no version at all', { local: a, platform: b, committed: new Set<string>() }, 'conflict'],
  ])('%s', (_, situation, action) => {
    expect(pushDecision({ ...situation, force: false }).action).toBe(action);
  });

  it('overwrites a conflict when forced, and still writes nothing when unchanged or creates', () => {
    expect(pushDecision({ local: a, platform: c, committed: history, force: true }).action).toBe('update');
    expect(pushDecision({ local: a, platform: a, committed: history, force: true }).action).toBe('unchanged');
    expect(pushDecision({ local: a, platform: undefined, committed: history, force: true }).action).toBe('create');
  });

  it('says why it is a conflict', () => {
    expect(pushDecision({ local: a, platform: c, committed: history, force: false })).toEqual({
      action: 'conflict',
      reason: 'changed in the platform: it holds no version of the file in git',
    });
  });

  it('fingerprints the document, not its text', () => {
    const template = parseTemplateFile('t/a.yaml', 'category: orders\nsms: { body: Hi }\n');

    expect(templateFingerprint(template)).toBe(
      templateFingerprint({ sms: { body: 'Hi' }, category: 'orders', critical: false }),
    );
    expect(templateFingerprint(template)).not.toBe(templateFingerprint({ ...template, sms: { body: 'Hi!' } }));
  });
});

describe('versionFingerprints', () => {
  it('fingerprints each version as the platform would hold it, whatever its text looked like', () => {
    const versions = ['category: orders\nsms: { body: Hi }\n', 'category: orders\nsms:\n  body: Hello\n'];

    const fingerprints = versionFingerprints('t/a.yaml', versions);

    expect(fingerprints).toEqual(
      new Set([
        templateFingerprint({ critical: false, category: 'orders', sms: { body: 'Hi' } }),
        templateFingerprint({ critical: false, category: 'orders', sms: { body: 'Hello' } }),
      ]),
    );
  });

  it("leaves out a version that is no template by today's schema", () => {
    const fingerprints = versionFingerprints('t/a.yaml', [
      'sms:\n  body: Hi\n',
      'category: orders\nsms:\n  body: Hi\n',
    ]);

    expect(fingerprints).toEqual(
      new Set([templateFingerprint({ critical: false, category: 'orders', sms: { body: 'Hi' } })]),
    );
  });
});

describe('previewTemplate', () => {
  it('renders each channel of the default content and each locale, as a person of that locale gets it', async () => {
    const template = parseTemplateFile('order_shipped.yaml', await readFile(`${TEMPLATES}order_shipped.yaml`, 'utf8'));

    const previews = await previewTemplate('order_shipped', template, { order_id: 'A-1', name: '<Ada>' });

    expect(previews.map(({ asked, chosen }) => [asked, chosen])).toEqual([
      [undefined, undefined],
      ['de', 'de'],
    ]);
    const [english, german] = previews;
    expect(english?.channels.map(({ channel }) => channel)).toEqual(['email', 'sms', 'push']);
    expect(english?.channels[0]?.rendered).toMatchObject({ subject: 'Your order A-1 has shipped' });
    // Escaped in the HTML, as the email worker escapes it.
    expect(english?.channels[0]?.rendered?.html).toContain('Hello &lt;Ada&gt;,');
    expect(german?.channels[1]?.rendered).toMatchObject({ body: 'Bestellung A-1 wurde versandt.', segments: 1 });
    const text = describePreviews('order_shipped', previews);
    expect(text).toContain('== order_shipped, default content ==\nemail.subject:  Your order A-1 has shipped\n');
    expect(text).toContain('== order_shipped, locale de ==\n');
    expect(text).toContain('push.title:     Bestellung versandt\n');
  });

  it('renders for one locale what a person of it gets: its language, else the default', async () => {
    const template = parseTemplateFile(
      'a.yaml',
      'category: orders\nsms:\n  body: Hi\nlocales:\n  de:\n    sms:\n      body: Hallo\n',
    );

    const [austrian] = await previewTemplate('a', template, {}, 'de-AT');
    const [french] = await previewTemplate('a', template, {}, 'fr');

    expect(austrian).toMatchObject({ asked: 'de-AT', chosen: 'de', channels: [{ rendered: { body: 'Hallo' } }] });
    expect(french).toMatchObject({ asked: 'fr', chosen: undefined, channels: [{ rendered: { body: 'Hi' } }] });
    expect(
      describePreviews(
        'a',
        [austrian, french].flatMap((preview) => (preview ? [preview] : [])),
      ),
    ).toMatch(/== a, locale de-AT → de ==[\s\S]*== a, locale fr → default content ==/);
  });

  it('names the field that does not render', async () => {
    const template = parseTemplateFile('a.yaml', 'category: orders\nsms:\n  body: "{{ 1 | no_such_filter }}"\n');

    const [preview] = await previewTemplate('a', template, {});

    expect(preview?.channels[0]?.error).toMatch(/^sms\.body: /);
  });
});
