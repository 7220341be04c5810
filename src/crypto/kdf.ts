/**
 * The pq1 key derivation: KDF(n, k) is the first 32n bytes of the original ChaCha20
 * stream under k (nonce 0, counter 0); KDF(n, k, x) first derives k' from k with x[0..16]
 * as raw state words (counter = LE64(x[0..8]), nonce = x[8..16]), then streams 32n bytes
 * under k' with x[16..32] as the state words. An empty x means "no x".
 */
import { readU64LE, wipe } from './bytes.ts';
import { checkLength, KEY_BYTES, type SymmetricPrimitives } from './symmetric.ts';

const ZERO_NONCE = new Uint8Array(8);

/** KDF(n, k[, x]) as one 32n-byte string (the tunnel's chain steps use it whole). */
export function kdfBytes(
  sym: SymmetricPrimitives,
  count: number,
  key: Uint8Array,
  input?: Uint8Array,
): Uint8Array {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError('KDF count must be a non-negative integer');
  checkLength('KDF key', key, KEY_BYTES);
  if (input === undefined || input.length === 0)
    return sym.stream(key, ZERO_NONCE, 0n, KEY_BYTES * count);
  checkLength('KDF input', input, KEY_BYTES);
  const derivedKey = sym.stream(key, input.subarray(8, 16), readU64LE(input, 0), KEY_BYTES);
  const stream = sym.stream(
    derivedKey,
    input.subarray(24, 32),
    readU64LE(input, 16),
    KEY_BYTES * count,
  );
  wipe(derivedKey);
  return stream;
}

/** KDF(n, k[, x]) as n separate 32-byte keys. */
export function kdf(
  sym: SymmetricPrimitives,
  count: number,
  key: Uint8Array,
  input?: Uint8Array,
): Uint8Array[] {
  const stream = kdfBytes(sym, count, key, input);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) keys.push(stream.slice(i * KEY_BYTES, (i + 1) * KEY_BYTES));
  wipe(stream);
  return keys;
}

/** KDF(1, k, x) as a single key. */
export function kdf1(sym: SymmetricPrimitives, key: Uint8Array, input?: Uint8Array): Uint8Array {
  return kdf(sym, 1, key, input)[0]!;
}
