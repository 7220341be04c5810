/**
 * Pure-JS symmetric primitives from @noble (no native code, runs anywhere): the backend
 * of the embeddable engine. noble's original ChaCha20 refuses block counters at or above
 * 2^32, so the 64-bit counter stream is built on its IETF ChaCha20, whose state words
 * 12..15 (counter, nonce[0..4], nonce[4..12]) coincide with the original variant's
 * (counter low, counter high, nonce): the high counter word goes into the IETF nonce and
 * the stream is cut wherever the low word wraps. noble refuses the one block whose low
 * word is 0xffffffff; that block comes from chacha-block.ts.
 */
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { chachaBlock } from './chacha-block.ts';
import {
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  checkLength,
  KEY_BYTES,
  STREAM_NONCE_BYTES,
  type SymmetricPrimitives,
  X25519_BYTES,
} from './symmetric.ts';

const BLOCK_BYTES = 64;
const LAST_LOW_COUNTER = 0xffff_ffff;

function streamWithWideCounter(
  key: Uint8Array,
  nonce: Uint8Array,
  counter: bigint,
  length: number,
) {
  const out = new Uint8Array(length);
  const ietfNonce = new Uint8Array(AEAD_NONCE_BYTES);
  ietfNonce.set(nonce, 4);
  let block = BigInt.asUintN(64, counter);
  let offset = 0;
  while (offset < length) {
    const low = Number(block & 0xffff_ffffn);
    const high = Number(block >> 32n);
    let bytes: number;
    if (low === LAST_LOW_COUNTER) {
      const block = chachaBlock(key, nonce, low, high);
      bytes = Math.min(length - offset, BLOCK_BYTES);
      out.set(block.subarray(0, bytes), offset);
      block.fill(0);
    } else {
      new DataView(ietfNonce.buffer).setUint32(0, high, true);
      bytes = Math.min(length - offset, (LAST_LOW_COUNTER - low) * BLOCK_BYTES);
      const piece = out.subarray(offset, offset + bytes);
      chacha20(key, ietfNonce, piece, piece, low);
    }
    offset += bytes;
    block = BigInt.asUintN(64, block + BigInt(Math.ceil(bytes / BLOCK_BYTES)));
  }
  return out;
}

export const nobleSymmetric: SymmetricPrimitives = {
  name: 'portable (@noble)',

  hash(data) {
    return shake256(data, { dkLen: 32 });
  },

  aeadSeal(key, nonce, plaintext, ad) {
    checkLength('AEAD key', key, KEY_BYTES);
    checkLength('AEAD nonce', nonce, AEAD_NONCE_BYTES);
    return chacha20poly1305(key, nonce, ad).encrypt(plaintext);
  },

  aeadSealInto(out, key, nonce, plaintext, ad) {
    checkLength('AEAD output', out, plaintext.length + AEAD_TAG_BYTES);
    out.set(nobleSymmetric.aeadSeal(key, nonce, plaintext, ad));
  },

  aeadOpenInPlace(key, nonce, sealed, ad) {
    const opened = nobleSymmetric.aeadOpen(key, nonce, sealed, ad);
    if (opened === null) return null;
    sealed.set(opened);
    return sealed.subarray(0, opened.length);
  },

  aeadOpen(key, nonce, sealed, ad) {
    checkLength('AEAD key', key, KEY_BYTES);
    checkLength('AEAD nonce', nonce, AEAD_NONCE_BYTES);
    if (sealed.length < AEAD_TAG_BYTES) return null;
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(sealed);
    } catch {
      return null;
    }
  },

  stream(key, nonce, counter, length) {
    checkLength('stream key', key, KEY_BYTES);
    checkLength('stream nonce', nonce, STREAM_NONCE_BYTES);
    return streamWithWideCounter(key, nonce, counter, length);
  },

  x25519(secretKey, publicKey) {
    checkLength('X25519 secret key', secretKey, X25519_BYTES);
    checkLength('X25519 public key', publicKey, X25519_BYTES);
    try {
      return x25519.getSharedSecret(secretKey, publicKey);
    } catch {
      return null;
    }
  },

  x25519PublicKey(secretKey) {
    checkLength('X25519 secret key', secretKey, X25519_BYTES);
    return x25519.getPublicKey(secretKey);
  },
};
