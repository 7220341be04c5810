/**
 * Chooses the crypto backend: 'fast' (native addon + system KEM libraries, node:crypto,
 * sodium-native), 'portable' (WASM + @noble, npm only) or 'auto' (fast when it can run
 * here, else portable). The choice and the reason for it are reported through `log`.
 */
import type { KemBackend } from './kem.ts';
import { createNativeKem, nativeKemUnavailableReason } from './kem-native.ts';
import { createWasmKem } from './kem-wasm.ts';
import type { SymmetricPrimitives } from './symmetric.ts';
import { nativeSymmetric } from './symmetric-native.ts';
import { nobleSymmetric } from './symmetric-noble.ts';

export type BackendChoice = 'auto' | 'fast' | 'portable';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'fast', 'portable'];

export interface CryptoSuite {
  readonly backend: 'fast' | 'portable';
  readonly sym: SymmetricPrimitives;
  readonly kem: KemBackend;
}

export function createCryptoSuite(
  choice: BackendChoice = 'auto',
  log: (message: string) => void = () => {},
): CryptoSuite {
  if (choice === 'portable') {
    log('crypto backend: portable (requested)');
    return { backend: 'portable', sym: nobleSymmetric, kem: createWasmKem() };
  }
  const reason = nativeKemUnavailableReason();
  if (reason !== null) {
    if (choice === 'fast')
      throw new Error(`fast crypto backend requested but unavailable: ${reason}`);
    log(`crypto backend: portable (fast backend unavailable: ${reason})`);
    return { backend: 'portable', sym: nobleSymmetric, kem: createWasmKem() };
  }
  log(`crypto backend: fast (${choice === 'fast' ? 'requested' : 'auto-detected'})`);
  return { backend: 'fast', sym: nativeSymmetric, kem: createNativeKem() };
}
