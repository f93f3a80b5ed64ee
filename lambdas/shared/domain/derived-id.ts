import { createHash } from 'node:crypto';

/**
 * A UUID derived from a name (version 8, RFC 9562: custom, from SHA-256): the same name always gives the same id, so a
 * step done twice names its result once. It reads, is validated and is looked up as any other UUID is.
 */
export function derivedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const id = hex.join('');
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}
