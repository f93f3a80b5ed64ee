/**
 * The key of an address on the suppression list, which logs and jobs carry instead of the address: an HMAC under the
 * installation's secret peppers, so that nobody who reads a log line or a queue can find the address by hashing
 * guesses (every phone number of a country is only 10^10 guesses). Pure.
 *
 * The key is a chain: generation 0 is the SHA-256 of the normalised address (what releases before peppers stored),
 * and each pepper, oldest first, is an HMAC over the key before it. A new pepper therefore re-keys an entry from its
 * stored key alone, without the address (`rekey`): a rotation loses no suppression. Until every entry is re-keyed
 * (`rekeyed`), lookups also try the key of the generation before.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Channel } from '../../channels/registry.js';

export interface AddressKeyPeppers {
  /** The newest pepper: every key written or logged is of its generation. */
  readonly current: string;
  /** The peppers before it, oldest first: the chain goes through them before the current one. */
  readonly previous: readonly string[];
  /** Every entry has been re-keyed to the current generation: lookups need no other key. */
  readonly rekeyed: boolean;
}

/** As addresses are compared: an email address in lower case, anything else as it is, trimmed. */
export function normalisedAddress(channel: Channel, address: string): string {
  const trimmed = address.trim();
  return channel === 'email' ? trimmed.toLowerCase() : trimmed;
}

/** The current generation: how many peppers the chain has. */
export function keyGeneration(peppers: AddressKeyPeppers): number {
  return peppers.previous.length + 1;
}

/** The address's key of each generation, from 0 (unpeppered) to the current one. */
function keyChain(peppers: AddressKeyPeppers, channel: Channel, address: string): string[] {
  const chain = [
    createHash('sha256')
      .update(`${channel}:${normalisedAddress(channel, address)}`)
      .digest('hex'),
  ];
  for (const pepper of [...peppers.previous, peppers.current])
    chain.push(pepperedKey(pepper, chain[chain.length - 1] ?? ''));
  return chain;
}

/** The key of the address now: the one written, logged and carried by jobs. */
export function addressKey(peppers: AddressKeyPeppers, channel: Channel, address: string): string {
  return keyChain(peppers, channel, address).at(-1) ?? '';
}

/** The keys the address may be found under: the current one first, and while re-keying, the generation before. */
export function lookupKeys(peppers: AddressKeyPeppers, channel: Channel, address: string): string[] {
  const chain = keyChain(peppers, channel, address);
  return peppers.rekeyed ? chain.slice(-1) : chain.slice(-2).reverse();
}

/**
 * The key of the current generation for an entry stored under `key` of generation `generation`, or undefined when it
 * is of the current generation already (or of a later one than these peppers know).
 */
export function rekeyed(peppers: AddressKeyPeppers, key: string, generation: number): string | undefined {
  const peppersAfter = [...peppers.previous, peppers.current].slice(generation);
  if (peppersAfter.length === 0 || generation < 0) return undefined;
  return peppersAfter.reduce((before, pepper) => pepperedKey(pepper, before), key);
}

function pepperedKey(pepper: string, key: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}
