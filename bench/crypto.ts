/**
 * npm run bench:crypto — ops/s of every primitive and of a full handshake on both
 * backends (fast: native addon + node:crypto + sodium-native; portable: WASM + @noble).
 * Asynchronous KEM calls are measured one at a time (latency, not pool throughput).
 */
import { randomBytes } from 'node:crypto';
import { kdf } from '../src/crypto/kdf.ts';
import type { KemBackend } from '../src/crypto/kem.ts';
import { createNativeKem } from '../src/crypto/kem-native.ts';
import { createWasmKem } from '../src/crypto/kem-wasm.ts';
import type { SymmetricPrimitives } from '../src/crypto/symmetric.ts';
import { nativeSymmetric } from '../src/crypto/symmetric-native.ts';
import { nobleSymmetric } from '../src/crypto/symmetric-noble.ts';
import { initiateHandshake, respondToHandshake } from '../src/protocol/handshake.ts';
import { measure, printTable } from './measure.ts';

interface Backend {
  name: string;
  sym: SymmetricPrimitives;
  kem: KemBackend;
}

const random = (n: number) => new Uint8Array(randomBytes(n));

async function benchBackend(
  backend: Backend,
  record: (row: string, value: number) => void,
): Promise<void> {
  const { sym, kem } = backend;
  const key = random(32);
  const nonce = new Uint8Array(12);
  for (const size of [64, 1400]) {
    const data = random(size);
    const ad = random(40);
    const sealedWithAd = sym.aeadSeal(key, nonce, data, ad);
    record(`H (${size} B)`, (await measure('h', () => sym.hash(data))).opsPerSecond);
    record(
      `AEAD seal ${size} B`,
      (await measure('seal', () => sym.aeadSeal(key, nonce, data, ad))).opsPerSecond,
    );
    record(
      `AEAD open ${size} B`,
      (await measure('open', () => sym.aeadOpen(key, nonce, sealedWithAd, ad))).opsPerSecond,
    );
  }
  record('KDF(19) chain step', (await measure('kdf19', () => kdf(sym, 19, key))).opsPerSecond);
  record('KDF(1, k, x)', (await measure('kdf1x', () => kdf(sym, 1, key, random(32)))).opsPerSecond);
  const secret = random(32);
  const peer = sym.x25519PublicKey(random(32));
  record('X25519', (await measure('x25519', () => sym.x25519(secret, peer))).opsPerSecond);

  const budget = { budgetMs: 1500, minIterations: 2 };
  const mceliece = await kem.keypair('mceliece6960119');
  record(
    'McEliece keygen',
    (await measure('mk', () => kem.keypair('mceliece6960119'), { budgetMs: 1, minIterations: 1 }))
      .opsPerSecond,
  );
  const mEnc = await kem.encapsulate('mceliece6960119', mceliece.publicKey);
  record(
    'McEliece enc',
    (await measure('me', () => kem.encapsulate('mceliece6960119', mceliece.publicKey), budget))
      .opsPerSecond,
  );
  record(
    'McEliece dec',
    (
      await measure(
        'md',
        () => kem.decapsulate('mceliece6960119', mEnc.ciphertext, mceliece.secretKey),
        budget,
      )
    ).opsPerSecond,
  );
  const ntru = await kem.keypair('sntrup761');
  const nEnc = await kem.encapsulate('sntrup761', ntru.publicKey);
  record(
    'sntrup761 keygen',
    (await measure('nk', () => kem.keypair('sntrup761'), budget)).opsPerSecond,
  );
  record(
    'sntrup761 enc',
    (await measure('ne', () => kem.encapsulate('sntrup761', ntru.publicKey), budget)).opsPerSecond,
  );
  record(
    'sntrup761 dec',
    (
      await measure(
        'nd',
        () => kem.decapsulate('sntrup761', nEnc.ciphertext, ntru.secretKey),
        budget,
      )
    ).opsPerSecond,
  );

  const staticX25519 = random(32);
  const ephemeralX25519 = random(32);
  const server = {
    x25519Pk: sym.x25519PublicKey(staticX25519),
    ekemPk: ntru.publicKey,
    ex25519Pk: sym.x25519PublicKey(ephemeralX25519),
  };
  const prekey = { c0: mEnc.ciphertext, k0: mEnc.sharedSecret };
  const handshake = await initiateHandshake(sym, kem, prekey, server, random);
  record(
    'handshake initiator (prekey)',
    (await measure('hi', () => initiateHandshake(sym, kem, prekey, server, random), budget))
      .opsPerSecond,
  );
  const secrets = { mcelieceSk: mceliece.secretKey, x25519Sk: staticX25519 };
  const ephemerals = [{ ekemSk: ntru.secretKey, x25519Sk: ephemeralX25519 }];
  record(
    'handshake responder',
    (
      await measure(
        'hr',
        () => respondToHandshake(sym, kem, handshake!.message, secrets, ephemerals),
        budget,
      )
    ).opsPerSecond,
  );
}

async function main(): Promise<void> {
  const rows = new Map<string, Map<string, number>>();
  const backends: Backend[] = [
    { name: 'fast', sym: nativeSymmetric, kem: createNativeKem() },
    { name: 'portable', sym: nobleSymmetric, kem: createWasmKem(1) },
  ];
  for (const backend of backends) {
    console.error(`benchmarking ${backend.name}: ${backend.sym.name}; ${backend.kem.name}`);
    await benchBackend(backend, (row, value) => {
      if (!rows.has(row)) rows.set(row, new Map());
      rows.get(row)!.set(backend.name, value);
    });
    await backend.kem.close();
  }
  printTable(
    'crypto operations per second (one at a time, this machine)',
    ['fast', 'portable'],
    rows,
  );
}

await main();
