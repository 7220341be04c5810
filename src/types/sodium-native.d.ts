/**
 * The part of sodium-native (v5) this project calls. The published @types package
 * describes v2 and lacks the IETF ChaCha20-Poly1305 functions, so the few signatures
 * used are declared here.
 */
declare module 'sodium-native' {
  const sodium: {
    crypto_aead_chacha20poly1305_ietf_encrypt(
      ciphertext: Buffer,
      message: Buffer,
      additionalData: Buffer | null,
      nsec: null,
      nonce: Buffer,
      key: Buffer,
    ): number;
    crypto_aead_chacha20poly1305_ietf_decrypt(
      message: Buffer,
      nsec: null,
      ciphertext: Buffer,
      additionalData: Buffer | null,
      nonce: Buffer,
      key: Buffer,
    ): number;
    crypto_scalarmult(shared: Buffer, secretKey: Buffer, publicKey: Buffer): void;
    crypto_scalarmult_base(publicKey: Buffer, secretKey: Buffer): void;
  };
  export default sodium;
}
