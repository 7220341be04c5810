/**
 * Native-speed symmetric primitives: SHAKE256 from node:crypto; the 64-bit-counter
 * ChaCha20 stream, ChaCha20-Poly1305 and X25519 from sodium-native (libsodium), the
 * fastest of each measured on these machines (NOTES.md).
 *
 * sodium-native's original-ChaCha20 call takes only a 32-bit counter, so a stream at any
 * other counter is computed as the IETF variant, whose state is the same words: counter
 * low word in word 12, and (counter high word ‖ 8-byte nonce) as its 12-byte nonce. The
 * two differ only when the low word wraps inside the output; that rare stream (a KDF
 * counter within a few blocks of a multiple of 2^32) goes through node:crypto instead.
 */
import { createCipheriv, createHash } from 'node:crypto';
import sodium from 'sodium-native';
import { writeU32LEInto, writeU64LEInto } from './bytes.ts';
import {
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  checkLength,
  KEY_BYTES,
  STREAM_NONCE_BYTES,
  type SymmetricPrimitives,
  X25519_BYTES,
} from './symmetric.ts';

/**
 * libsodium's decryption, true when the tag verifies. sodium-native throws when it does
 * not; the Error it throws is made without a stack trace, so a forged packet costs about
 * what a genuine one does (with a trace: about three times as much).
 */
function decryptVerified(
  out: Uint8Array,
  sealed: Uint8Array,
  ad: Uint8Array | null,
  nonce: Uint8Array,
  key: Uint8Array,
): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, ad, nonce, key);
    return true;
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function checkAeadInputs(key: Uint8Array, nonce: Uint8Array): void {
  checkLength('AEAD key', key, KEY_BYTES);
  checkLength('AEAD nonce', nonce, AEAD_NONCE_BYTES);
}

export const nativeSymmetric: SymmetricPrimitives = {
  name: 'native (node:crypto + sodium-native)',

  hash(data) {
    return new Uint8Array(createHash('shake256', { outputLength: 32 }).update(data).digest());
  },

  aeadSeal(key, nonce, plaintext, ad) {
    checkAeadInputs(key, nonce);
    const out = Buffer.allocUnsafe(plaintext.length + AEAD_TAG_BYTES);
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },

  aeadSealInto(out, key, nonce, plaintext, ad) {
    checkAeadInputs(key, nonce);
    checkLength('AEAD output', out, plaintext.length + AEAD_TAG_BYTES);
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
  },

  aeadOpenInPlace(key, nonce, sealed, ad) {
    checkAeadInputs(key, nonce);
    if (sealed.length < AEAD_TAG_BYTES) return null;
    const plaintext = sealed.subarray(0, sealed.length - AEAD_TAG_BYTES);
    // libsodium verifies the tag before it decrypts, so output over input is safe.
    return decryptVerified(plaintext, sealed, ad, nonce, key) ? plaintext : null;
  },

  aeadOpen(key, nonce, sealed, ad) {
    checkAeadInputs(key, nonce);
    if (sealed.length < AEAD_TAG_BYTES) return null;
    const out = Buffer.allocUnsafe(sealed.length - AEAD_TAG_BYTES);
    if (!decryptVerified(out, sealed, ad, nonce, key)) return null;
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },

  stream(key, nonce, counter, length) {
    checkLength('stream key', key, KEY_BYTES);
    checkLength('stream nonce', nonce, STREAM_NONCE_BYTES);
    const out = new Uint8Array(length);
    if (length === 0) return out;
    const at = BigInt.asUintN(64, counter);
    if (at === 0n) {
      // From block 0 (every tunnel chain step).
      sodium.crypto_stream_chacha20(out, nonce, key);
      return out;
    }
    const low = Number(at & 0xffff_ffffn);
    if (low + Math.ceil(length / 64) <= 2 ** 32) {
      const ietfNonce = new Uint8Array(12);
      writeU32LEInto(ietfNonce, 0, Number(at >> 32n));
      ietfNonce.set(nonce, 4);
      sodium.crypto_stream_chacha20_ietf_xor_ic(out, out, ietfNonce, low, key);
      return out;
    }
    const iv = new Uint8Array(16);
    writeU64LEInto(iv, 0, at);
    iv.set(nonce, 8);
    const cipher = createCipheriv('chacha20', key, iv);
    return new Uint8Array(cipher.update(out));
  },

  x25519(secretKey, publicKey) {
    checkLength('X25519 secret key', secretKey, X25519_BYTES);
    checkLength('X25519 public key', publicKey, X25519_BYTES);
    const out = Buffer.alloc(X25519_BYTES);
    try {
      sodium.crypto_scalarmult(out, secretKey, publicKey);
    } catch {
      return null;
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },

  x25519PublicKey(secretKey) {
    checkLength('X25519 secret key', secretKey, X25519_BYTES);
    const out = Buffer.alloc(X25519_BYTES);
    sodium.crypto_scalarmult_base(out, secretKey);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};
