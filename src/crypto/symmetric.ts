/**
 * The symmetric primitives of pq1 behind one interface, so that the protocol code runs
 * unchanged on the native backend (node:crypto + sodium-native) and the pure-JS one
 * (@noble). All functions are synchronous; they allocate their outputs, except the
 * `Into`/`InPlace` variants the packet path uses, which write where they are told.
 */

export const KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
export const STREAM_NONCE_BYTES = 8;
export const X25519_BYTES = 32;
export const HASH_BYTES = 32;

export interface SymmetricPrimitives {
  /** Which implementation this is, for logs and benchmarks. */
  readonly name: string;
  /** H(x): the first 32 bytes of SHAKE256(x). */
  hash(data: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 (RFC 8439); returns ciphertext ‖ 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** The same into `out` (exactly plaintext.length + 16 bytes, not overlapping the input). */
  aeadSealInto(
    out: Uint8Array,
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
  ): void;
  /** Opens ciphertext ‖ tag; null when the tag does not verify. */
  aeadOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array,
  ): Uint8Array | null;
  /** Opens ciphertext ‖ tag over itself: the plaintext is the view of its first bytes;
   * null when the tag does not verify (the bytes are then undefined). */
  aeadOpenInPlace(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array,
  ): Uint8Array | null;
  /** Original ChaCha20 keystream: 8-byte nonce, 64-bit block counter starting at `counter`. */
  stream(key: Uint8Array, nonce: Uint8Array, counter: bigint, length: number): Uint8Array;
  /** X25519(secret, public); null when the result is the all-zero point. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
}

/** Splits ct ‖ tag into its two parts (the handshake keeps them apart). */
export function splitTag(sealed: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array } {
  const cut = sealed.length - AEAD_TAG_BYTES;
  return { ciphertext: sealed.subarray(0, cut), tag: sealed.subarray(cut) };
}

export function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
  }
}
