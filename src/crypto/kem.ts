/**
 * One interface for the two KEMs of pq1 — Classic McEliece mceliece6960119 (the server's
 * static key) and Streamlined NTRU Prime sntrup761 (its ephemeral keys) — so that the
 * native and WASM backends are interchangeable. Every operation is asynchronous and runs
 * off the event loop (libuv pool or worker threads).
 */

export type KemName = 'mceliece6960119' | 'sntrup761';

export interface KemSizes {
  readonly publicKeyBytes: number;
  readonly secretKeyBytes: number;
  readonly ciphertextBytes: number;
  readonly sharedSecretBytes: number;
}

export const KEM_SIZES: Readonly<Record<KemName, KemSizes>> = {
  mceliece6960119: {
    publicKeyBytes: 1047319,
    secretKeyBytes: 13948,
    ciphertextBytes: 194,
    sharedSecretBytes: 32,
  },
  sntrup761: {
    publicKeyBytes: 1158,
    secretKeyBytes: 1763,
    ciphertextBytes: 1039,
    sharedSecretBytes: 32,
  },
};

export interface KemKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface Encapsulation {
  ciphertext: Uint8Array;
  sharedSecret: Uint8Array;
}

export interface KemBackend {
  /** Which implementation this is, for logs and benchmarks. */
  readonly name: string;
  keypair(kem: KemName): Promise<KemKeyPair>;
  encapsulate(kem: KemName, publicKey: Uint8Array): Promise<Encapsulation>;
  /** The shared secret, or null when the library reports a malformed ciphertext. */
  decapsulate(
    kem: KemName,
    ciphertext: Uint8Array,
    secretKey: Uint8Array,
  ): Promise<Uint8Array | null>;
  /** Releases threads and memory held by the backend. */
  close(): Promise<void>;
}

export function checkKemInput(kem: KemName, what: keyof KemSizes, bytes: Uint8Array): void {
  const expected = KEM_SIZES[kem][what];
  if (bytes.length !== expected) {
    throw new RangeError(
      `${kem} ${what.replace('Bytes', '')} must be ${expected} bytes, got ${bytes.length}`,
    );
  }
}
