/**
 * One ChaCha20 block (RFC 8439 §2.3) with an explicit 64-bit counter. @noble/ciphers
 * refuses to produce the block whose 32-bit counter word is 0xffffffff, which the pq1 KDF
 * can reach (its counters come from key material), so the portable backend computes that
 * single block here. Everything else goes through noble.
 */

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  s[a] = (s[a]! + s[b]!) >>> 0;
  s[d] = rotate(s[d]! ^ s[a]!, 16);
  s[c] = (s[c]! + s[d]!) >>> 0;
  s[b] = rotate(s[b]! ^ s[c]!, 12);
  s[a] = (s[a]! + s[b]!) >>> 0;
  s[d] = rotate(s[d]! ^ s[a]!, 8);
  s[c] = (s[c]! + s[d]!) >>> 0;
  s[b] = rotate(s[b]! ^ s[c]!, 7);
}

function rotate(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/** The 64-byte keystream block for (key, 8-byte nonce, 64-bit block counter). */
export function chachaBlock(
  key: Uint8Array,
  nonce: Uint8Array,
  counterLow: number,
  counterHigh: number,
) {
  const keyView = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const nonceView = new DataView(nonce.buffer, nonce.byteOffset, nonce.byteLength);
  const input = new Uint32Array(16);
  input.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) input[4 + i] = keyView.getUint32(i * 4, true);
  input[12] = counterLow >>> 0;
  input[13] = counterHigh >>> 0;
  input[14] = nonceView.getUint32(0, true);
  input[15] = nonceView.getUint32(4, true);
  const state = input.slice();
  for (let round = 0; round < 10; round++) {
    quarterRound(state, 0, 4, 8, 12);
    quarterRound(state, 1, 5, 9, 13);
    quarterRound(state, 2, 6, 10, 14);
    quarterRound(state, 3, 7, 11, 15);
    quarterRound(state, 0, 5, 10, 15);
    quarterRound(state, 1, 6, 11, 12);
    quarterRound(state, 2, 7, 8, 13);
    quarterRound(state, 3, 4, 9, 14);
  }
  const out = new Uint8Array(64);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 16; i++) outView.setUint32(i * 4, (state[i]! + input[i]!) >>> 0, true);
  state.fill(0);
  input.fill(0);
  return out;
}
