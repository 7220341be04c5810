/**
 * KEM tests: both backends decapsulate the deployed implementation's ciphertexts to the
 * deployed shared secrets, agree with each other (keys from one, encapsulation from the
 * other), generate working key pairs, and refuse malformed inputs with a clear error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../src/crypto/bytes.ts';
import type { KemName } from '../../src/crypto/kem.ts';
import { runKemRequest } from '../../src/crypto/kem-wasm-worker.ts';
import { BACKENDS } from '../support/backends.ts';
import { hex, loadVectorBinary, loadVectors } from '../support/vectors.ts';

interface HandshakeInputs {
  server_ephemeral_sntrup761_pk: string;
  server_ephemeral_sntrup761_sk: string;
  client_mceliece_c0: string;
  client_mceliece_k0: string;
  client_sntrup_c2: string;
  client_sntrup_k3: string;
}

const handshakes = loadVectors<{ cases: { inputs: HandshakeInputs }[] }>('handshake.json');
const mcelieceSk = loadVectorBinary('mceliece_sk.bin');
const mceliecePk = loadVectorBinary('mceliece_pk.bin');
const [fast, portable] = BACKENDS as [(typeof BACKENDS)[0], (typeof BACKENDS)[0]];

for (const backend of BACKENDS) {
  describe(`KEM backend (${backend.name})`, () => {
    it('decapsulates every handshake.json c0 and c2 to the deployed shared secrets', async () => {
      const kem = backend.kem();
      for (const { inputs } of handshakes.cases) {
        const k0 = await kem.decapsulate(
          'mceliece6960119',
          hex(inputs.client_mceliece_c0),
          mcelieceSk,
        );
        assert.equal(k0 && toHex(k0), inputs.client_mceliece_k0);
        const k3 = await kem.decapsulate(
          'sntrup761',
          hex(inputs.client_sntrup_c2),
          hex(inputs.server_ephemeral_sntrup761_sk),
        );
        assert.equal(k3 && toHex(k3), inputs.client_sntrup_k3);
      }
    });

    it('encapsulates to the vector McEliece key so that the vector secret key recovers it', async () => {
      const kem = backend.kem();
      const { ciphertext, sharedSecret } = await kem.encapsulate('mceliece6960119', mceliecePk);
      assert.equal(ciphertext.length, 194);
      assert.deepEqual(
        await kem.decapsulate('mceliece6960119', ciphertext, mcelieceSk),
        sharedSecret,
      );
    });

    it('generates sntrup761 key pairs that round-trip', async () => {
      const kem = backend.kem();
      const pair = await kem.keypair('sntrup761');
      const { ciphertext, sharedSecret } = await kem.encapsulate('sntrup761', pair.publicKey);
      assert.deepEqual(
        await kem.decapsulate('sntrup761', ciphertext, pair.secretKey),
        sharedSecret,
      );
    });

    it('rejects a McEliece ciphertext with its padding bits set (the library reports failure)', async () => {
      const c0 = hex(handshakes.cases[0]!.inputs.client_mceliece_c0);
      c0[193]! ^= 0x80;
      assert.equal(await backend.kem().decapsulate('mceliece6960119', c0, mcelieceSk), null);
    });

    it('refuses inputs of the wrong length with a RangeError naming the input', async () => {
      const kem = backend.kem();
      await assert.rejects(
        kem.encapsulate('sntrup761', new Uint8Array(10)),
        /sntrup761 publicKey must be 1158/,
      );
      await assert.rejects(
        kem.decapsulate('mceliece6960119', new Uint8Array(193), mcelieceSk),
        /ciphertext must be 194/,
      );
    });
  });
}

describe('KEM backends agree with each other', () => {
  for (const kemName of ['sntrup761', 'mceliece6960119'] as KemName[]) {
    it(`${kemName}: keys from fast, encapsulation by portable, decapsulation by fast`, async () => {
      const pair = await fast.kem().keypair(kemName);
      const { ciphertext, sharedSecret } = await portable
        .kem()
        .encapsulate(kemName, pair.publicKey);
      assert.deepEqual(
        await fast.kem().decapsulate(kemName, ciphertext, pair.secretKey),
        sharedSecret,
      );
    });
  }

  it('sntrup761: keys from portable, encapsulation by fast, decapsulation by portable', async () => {
    const pair = await portable.kem().keypair('sntrup761');
    const { ciphertext, sharedSecret } = await fast.kem().encapsulate('sntrup761', pair.publicKey);
    assert.deepEqual(
      await portable.kem().decapsulate('sntrup761', ciphertext, pair.secretKey),
      sharedSecret,
    );
  });

  it('mceliece6960119: keys from portable (WASM keygen), encapsulation by fast', async () => {
    const pair = await portable.kem().keypair('mceliece6960119');
    assert.equal(pair.publicKey.length, 1047319);
    const { ciphertext, sharedSecret } = await fast
      .kem()
      .encapsulate('mceliece6960119', pair.publicKey);
    assert.deepEqual(
      await portable.kem().decapsulate('mceliece6960119', ciphertext, pair.secretKey),
      sharedSecret,
    );
  });
});

describe('the portable KEM thread', () => {
  it('erases the secret key it was handed once a decapsulation is done', async () => {
    const { publicKey, secretKey } = await fast.kem().keypair('sntrup761');
    const { ciphertext, sharedSecret } = await fast.kem().encapsulate('sntrup761', publicKey);
    const k = (await runKemRequest({
      id: 1,
      op: 'decapsulate',
      kem: 'sntrup761',
      ciphertext,
      secretKey,
    })) as Uint8Array;
    assert.equal(toHex(k), toHex(sharedSecret));
    assert.ok(secretKey.every((byte) => byte === 0));
  });
});
