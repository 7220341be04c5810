/**
 * The fast KEM backend: the system libmceliece and libntruprime, reached through the
 * project's native addon (native/), which runs each call on the libuv thread pool.
 */

import { loadNativeAddon } from '../native-addon.ts';
import { wipe } from './bytes.ts';
import { checkKemInput, KEM_SIZES, type KemBackend, type KemName } from './kem.ts';

const ALGORITHM_INDEX: Record<KemName, number> = { mceliece6960119: 0, sntrup761: 1 };

export interface NativeKemAddon {
  kemAvailable(): Record<KemName, boolean>;
  kemKeypair(alg: number, publicKey: Uint8Array, secretKey: Uint8Array): Promise<number>;
  kemEnc(
    alg: number,
    ciphertext: Uint8Array,
    sharedSecret: Uint8Array,
    publicKey: Uint8Array,
  ): Promise<number>;
  kemDec(
    alg: number,
    sharedSecret: Uint8Array,
    ciphertext: Uint8Array,
    secretKey: Uint8Array,
  ): Promise<number>;
}

/** Why the native backend cannot run here, or null when it can. */
export function nativeKemUnavailableReason(): string | null {
  const addon = loadNativeAddon<NativeKemAddon>();
  if (!addon.ok) return addon.reason;
  const available = addon.value.kemAvailable();
  const missing = (Object.keys(available) as KemName[]).filter((name) => !available[name]);
  return missing.length === 0 ? null : `system library missing for ${missing.join(', ')}`;
}

export function createNativeKem(): KemBackend {
  const reason = nativeKemUnavailableReason();
  const addon = loadNativeAddon<NativeKemAddon>();
  if (reason !== null || !addon.ok) throw new Error(`native KEM backend unavailable: ${reason}`);
  const native = addon.value;
  return {
    name: 'native (libmceliece + libntruprime)',

    async keypair(kem) {
      const sizes = KEM_SIZES[kem];
      const publicKey = new Uint8Array(sizes.publicKeyBytes);
      const secretKey = new Uint8Array(sizes.secretKeyBytes);
      await native.kemKeypair(ALGORITHM_INDEX[kem], publicKey, secretKey);
      return { publicKey, secretKey };
    },

    async encapsulate(kem, publicKey) {
      checkKemInput(kem, 'publicKeyBytes', publicKey);
      const sizes = KEM_SIZES[kem];
      const ciphertext = new Uint8Array(sizes.ciphertextBytes);
      const sharedSecret = new Uint8Array(sizes.sharedSecretBytes);
      const status = await native.kemEnc(ALGORITHM_INDEX[kem], ciphertext, sharedSecret, publicKey);
      if (status !== 0) {
        wipe(sharedSecret);
        throw new Error(`${kem} encapsulation failed (status ${status})`);
      }
      return { ciphertext, sharedSecret };
    },

    async decapsulate(kem, ciphertext, secretKey) {
      checkKemInput(kem, 'ciphertextBytes', ciphertext);
      checkKemInput(kem, 'secretKeyBytes', secretKey);
      const sharedSecret = new Uint8Array(KEM_SIZES[kem].sharedSecretBytes);
      const status = await native.kemDec(ALGORITHM_INDEX[kem], sharedSecret, ciphertext, secretKey);
      if (status !== 0) {
        wipe(sharedSecret);
        return null;
      }
      return sharedSecret;
    },

    async close() {},
  };
}
