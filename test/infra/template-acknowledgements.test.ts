import { describe, expect, it } from 'vitest';
import { synthStack } from './stack-fixture.js';

const template = synthStack();
const skipped = (resource: { Metadata?: { checkov?: { skip?: { id: string; comment: string }[] } } }) =>
  (resource.Metadata?.checkov?.skip ?? []).map((skip) => skip.id);

describe("the template linters' acknowledged findings", () => {
  it('acknowledge a missing API key only on the methods that carry a signature instead', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const keyless = methods.filter((method) => method.Properties.ApiKeyRequired !== true);

    expect(keyless.length).toBeGreaterThan(0);
    for (const method of methods)
      expect(skipped(method).includes('CKV_AWS_59')).toBe(method.Properties.ApiKeyRequired !== true);
  });

  it('acknowledge a function concurrency limit only where none is reserved, and give each a reason', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(skipped(fn).includes('CKV_AWS_115')).toBe(fn.Properties.ReservedConcurrentExecutions === undefined);
      for (const skip of fn.Metadata?.checkov?.skip ?? []) expect(skip.comment.length).toBeGreaterThan(40);
    }
  });

  it("acknowledge cfn-lint's redundant DependsOn (W3005) on the functions only, where CDK writes it", () => {
    for (const resource of Object.values(template.toJSON().Resources) as {
      Type: string;
      Metadata?: { 'cfn-lint'?: { config: { ignore_checks: string[] } } };
    }[]) {
      const ignored = resource.Metadata?.['cfn-lint']?.config.ignore_checks ?? [];
      expect(ignored).toEqual(resource.Type === 'AWS::Lambda::Function' ? ['W3005'] : []);
    }
  });
});
