/**
 * Worker thread of the WASM KEM backend: runs liboqs (compiled to WASM) so that a 90 ms
 * McEliece decapsulation or a 5 s key generation never blocks the main event loop.
 * Receives { id, op, kem, args } and answers { id, result } or { id, error }.
 */
import { parentPort } from 'node:worker_threads';
import { createClassicMcEliece6960119, createSntrup761 } from '@oqs/liboqs-js';
import { plainCopy, wipe } from './bytes.ts';
import type { KemName } from './kem.ts';

interface OqsKem {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

export type WasmKemRequest =
  | { id: number; op: 'keypair'; kem: KemName }
  | { id: number; op: 'encapsulate'; kem: KemName; publicKey: Uint8Array }
  | { id: number; op: 'decapsulate'; kem: KemName; ciphertext: Uint8Array; secretKey: Uint8Array };

export type WasmKemReply = { id: number; result: unknown } | { id: number; error: string };

const instances = new Map<KemName, Promise<OqsKem>>();

function instance(kem: KemName): Promise<OqsKem> {
  let existing = instances.get(kem);
  if (existing === undefined) {
    existing = (
      kem === 'mceliece6960119' ? createClassicMcEliece6960119() : createSntrup761()
    ) as Promise<OqsKem>;
    instances.set(kem, existing);
  }
  return existing;
}

/** One request, as the thread runs it. A decapsulation erases the secret key it was given
 * (the thread's structured-clone copy) and the copy made for liboqs before it returns. */
export async function runKemRequest(request: WasmKemRequest): Promise<unknown> {
  const oqs = await instance(request.kem);
  switch (request.op) {
    case 'keypair':
      return oqs.generateKeyPair();
    case 'encapsulate':
      return oqs.encapsulate(plainCopy(request.publicKey));
    case 'decapsulate': {
      const secretKey = plainCopy(request.secretKey);
      try {
        return oqs.decapsulate(plainCopy(request.ciphertext), secretKey);
      } catch {
        return null;
      } finally {
        wipe(secretKey, request.secretKey);
      }
    }
  }
}

parentPort?.on('message', (request: WasmKemRequest) => {
  runKemRequest(request).then(
    (result) => parentPort?.postMessage({ id: request.id, result } satisfies WasmKemReply),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: String((error as Error).message ?? error),
      } satisfies WasmKemReply),
  );
});
