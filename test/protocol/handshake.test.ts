/** handshake.json: the 0-RTT handshake byte for byte, both directions, and refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { createHandshake, respondToHandshake } from '../../src/protocol/handshake.ts';
import { TunnelSession } from '../../src/protocol/tunnel-session.ts';
import { BACKENDS } from '../support/backends.ts';
import { loadVectorBinary, loadVectors } from '../support/vectors.ts';

interface HandshakeCase {
  inputs: Record<string, string>;
  initiation_message: string;
  steps: Record<string, string>;
  first_packets: {
    client_to_server: string;
    server_to_client: string;
    client_plaintext: string;
    server_plaintext: string;
  };
  server_negative: { what: string; ok: boolean; tid?: string }[];
}

const { cases } = loadVectors<{ cases: HandshakeCase[] }>('handshake.json');
const mcelieceSk = loadVectorBinary('mceliece_sk.bin');

function modified(message: Uint8Array, what: string): Uint8Array | null {
  const copy = message.slice();
  const flips: Record<string, number> = {
    'flip c0[0]': 2,
    'flip c1[0]': 196,
    'flip tag1[15]': 243,
    'flip c3[0]': 244,
    'flip tag3[0]': 1283,
  };
  if (what in flips) {
    copy[flips[what]!]! ^= 1;
    return copy;
  }
  if (what === 'flip c0[193] top bit (mceliece padding bits)') {
    copy[2 + 193]! ^= 0x80;
    return copy;
  }
  if (what === 'truncate by 1') return copy.subarray(0, copy.length - 1);
  if (what === 'append 1 byte') return new Uint8Array([...copy, 0]);
  if (what === 'wrong type 0200') {
    copy[0] = 0x02;
    return copy;
  }
  return null;
}

for (const backend of BACKENDS) {
  describe(`handshake (${backend.name})`, () => {
    for (const [index, c] of cases.entries()) {
      const i = c.inputs;
      const serverSecrets = { mcelieceSk, x25519Sk: fromHex(i.server_static_x25519_sk!) };
      const ephemeral = {
        ekemSk: fromHex(i.server_ephemeral_sntrup761_sk!),
        x25519Sk: fromHex(i.server_ephemeral_x25519_sk!),
      };

      it(`case ${index}: the initiator builds the deployed message and keys`, () => {
        const result = createHandshake(backend.sym, {
          c0: fromHex(i.client_mceliece_c0!),
          k0: fromHex(i.client_mceliece_k0!),
          ephemeralSecret: fromHex(i.client_ephemeral_x25519_sk!),
          serverStaticX25519: fromHex(i.server_static_x25519_pk!),
          serverEphemeralX25519: fromHex(i.server_ephemeral_x25519_pk!),
          c2: fromHex(i.client_sntrup_c2!),
          k3: fromHex(i.client_sntrup_k3!),
        });
        assert.ok(result);
        assert.equal(result.message.length, 1299);
        assert.equal(toHex(result.message), c.initiation_message);
        assert.equal(toHex(result.keys.tid), c.steps.tid);
        assert.equal(toHex(result.keys.initiatorRoot), c.steps.ti);
        assert.equal(toHex(result.keys.responderRoot), c.steps.tr);
      });

      it(`case ${index}: the responder derives the same keys and the first packets match`, async () => {
        const kem = backend.kem();
        const other = { ekemSk: new Uint8Array(1763), x25519Sk: new Uint8Array(32).fill(7) };
        const result = await respondToHandshake(
          backend.sym,
          kem,
          fromHex(c.initiation_message),
          serverSecrets,
          [other, ephemeral],
        );
        assert.ok(result.ok, result.ok ? '' : result.reason);
        assert.equal(result.value.slot, 1);
        assert.equal(toHex(result.value.keys.tid), c.steps.tid);
        assert.equal(toHex(result.value.c0), i.client_mceliece_c0);
        const { tid, initiatorRoot, responderRoot } = result.value.keys;
        const client = new TunnelSession(backend.sym, tid, initiatorRoot, responderRoot, 0);
        const server = new TunnelSession(backend.sym, tid, responderRoot, initiatorRoot, 0);
        const p = c.first_packets;
        assert.equal(toHex(client.seal(fromHex(p.client_plaintext), 0)), p.client_to_server);
        assert.equal(toHex(server.seal(fromHex(p.server_plaintext), 0)), p.server_to_client);
        const atServer = server.open(fromHex(p.client_to_server), 0);
        assert.ok(atServer.ok && atServer.kind === 'data');
        assert.equal(toHex(atServer.plaintext), p.client_plaintext);
      });

      it(`case ${index}: the responder refuses every modified message`, async () => {
        const kem = backend.kem();
        const message = fromHex(c.initiation_message);
        for (const negative of c.server_negative) {
          const input = modified(message, negative.what);
          if (input === null) continue;
          const result = await respondToHandshake(backend.sym, kem, input, serverSecrets, [
            ephemeral,
          ]);
          assert.equal(result.ok, negative.ok, negative.what);
        }
        const wrongX25519 = { ...ephemeral, x25519Sk: new Uint8Array(32).fill(9) };
        assert.equal(
          (await respondToHandshake(backend.sym, kem, message, serverSecrets, [wrongX25519])).ok,
          false,
        );
        const wrongSntrup = { ...ephemeral, ekemSk: (await kem.keypair('sntrup761')).secretKey };
        const implicit = await respondToHandshake(backend.sym, kem, message, serverSecrets, [
          wrongSntrup,
        ]);
        assert.ok(
          implicit.ok,
          'sntrup761 implicit rejection: the handshake completes with other keys',
        );
        assert.notEqual(toHex(implicit.value.keys.tid), c.steps.tid);
      });
    }
  });
}
