/**
 * DNSCurve base32, as used in pq1 names: alphabet 0123456789bcdfghjklmnpqrstuvwxyz, the
 * byte string read as one little-endian integer and written 5 bits at a time, least
 * significant first. Decoding is case-insensitive and refuses characters outside the
 * alphabet and values that do not fit in floor(5·len/8) bytes.
 */
import { fail, ok, type Result } from './result.ts';

const ALPHABET = '0123456789bcdfghjklmnpqrstuvwxyz';
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let accumulator = 0;
  let bits = 0;
  for (const byte of bytes) {
    accumulator |= byte << bits;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[accumulator & 31];
      accumulator >>>= 5;
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[accumulator & 31];
  return out;
}

export const BASE32_FAILURES = [
  'base32: invalid character',
  'base32: value does not fit in the decoded length',
] as const;

export function base32Decode(text: string): Result<Uint8Array, (typeof BASE32_FAILURES)[number]> {
  const out = new Uint8Array(Math.floor((5 * text.length) / 8));
  let accumulator = 0;
  let bits = 0;
  let index = 0;
  for (const char of text.toLowerCase()) {
    const value = VALUES.get(char);
    if (value === undefined) return fail('base32: invalid character');
    accumulator |= value << bits;
    bits += 5;
    if (bits >= 8) {
      out[index++] = accumulator & 0xff;
      accumulator >>>= 8;
      bits -= 8;
    }
  }
  if (accumulator !== 0) return fail('base32: value does not fit in the decoded length');
  return ok(out);
}
