/**
 * The two crypto backends every vector test runs against. The fast backend must be
 * available in CI (its set-up installs the libraries and builds the addon); if it is not,
 * the tests that need it fail with the reason rather than silently testing less.
 */
import { after } from 'node:test';
import type { KemBackend } from '../../src/crypto/kem.ts';
import { createNativeKem, nativeKemUnavailableReason } from '../../src/crypto/kem-native.ts';
import { createWasmKem } from '../../src/crypto/kem-wasm.ts';
import type { SymmetricPrimitives } from '../../src/crypto/symmetric.ts';
import { nativeSymmetric } from '../../src/crypto/symmetric-native.ts';
import { nobleSymmetric } from '../../src/crypto/symmetric-noble.ts';

export interface TestBackend {
  readonly name: 'fast' | 'portable';
  readonly sym: SymmetricPrimitives;
  kem(): KemBackend;
}

function lazyKem(create: () => KemBackend): () => KemBackend {
  let backend: KemBackend | undefined;
  return () => {
    if (backend === undefined) {
      backend = create();
      const created = backend;
      after(() => created.close());
    }
    return backend;
  };
}

export const BACKENDS: readonly TestBackend[] = [
  {
    name: 'fast',
    sym: nativeSymmetric,
    kem: lazyKem(() => {
      const reason = nativeKemUnavailableReason();
      if (reason !== null) throw new Error(`fast backend unavailable: ${reason}`);
      return createNativeKem();
    }),
  },
  { name: 'portable', sym: nobleSymmetric, kem: lazyKem(() => createWasmKem()) },
];
