/**
 * The part of sodium-native (v5) this project calls. The published @types package
 * describes v2 and lacks the IETF ChaCha20-Poly1305 functions, so the few signatures
 * used are declared here. v5 takes any Uint8Array, not only Buffers.
 */
declare module 'sodium-native' {
  const sodium: {
    crypto_aead_chacha20poly1305_ietf_encrypt(
      ciphertext: Uint8Array,
      message: Uint8Array,
      additionalData: Uint8Array | null,
      nsec: null,
      nonce: Uint8Array,
      key: Uint8Array,
    ): number;
    crypto_aead_chacha20poly1305_ietf_decrypt(
      message: Uint8Array,
      nsec: null,
      ciphertext: Uint8Array,
      additionalData: Uint8Array | null,
      nonce: Uint8Array,
      key: Uint8Array,
    ): number;
    /** The original ChaCha20 keystream from block 0 (8-byte nonce) into `out`. */
    crypto_stream_chacha20(out: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
    /** The IETF stream XORed into `out` from block `counter` (a 32-bit integer). */
    crypto_stream_chacha20_ietf_xor_ic(
      out: Uint8Array,
      message: Uint8Array,
      nonce: Uint8Array,
      counter: number,
      key: Uint8Array,
    ): void;
    crypto_scalarmult(shared: Uint8Array, secretKey: Uint8Array, publicKey: Uint8Array): void;
    crypto_scalarmult_base(publicKey: Uint8Array, secretKey: Uint8Array): void;
  };
  export default sodium;
}
