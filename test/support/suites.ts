/**
 * CryptoSuites for engine tests, built on the shared test backends. Under virtual time
 * the KEM calls are registered with the clock, so computation takes no virtual time
 * (`trackedKem` does that for any backend).
 */
import type { KemBackend } from '../../src/crypto/kem.ts';
import type { CryptoSuite } from '../../src/crypto/suite.ts';
import type { VirtualClock } from '../../src/engine/clock.ts';
import { BACKENDS } from './backends.ts';

export function suiteFor(name: 'fast' | 'portable', clock?: VirtualClock): CryptoSuite {
  const backend = BACKENDS.find((b) => b.name === name)!;
  const kem = backend.kem();
  return {
    backend: name,
    sym: backend.sym,
    kem: clock === undefined ? kem : trackedKem(kem, clock),
  };
}

export function trackedKem(kem: KemBackend, clock: VirtualClock): KemBackend {
  return {
    name: kem.name,
    keypair: (k) => clock.track(kem.keypair(k)),
    encapsulate: (k, pk) => clock.track(kem.encapsulate(k, pk)),
    decapsulate: (k, ct, sk) => clock.track(kem.decapsulate(k, ct, sk)),
    close: () => kem.close(),
  };
}
