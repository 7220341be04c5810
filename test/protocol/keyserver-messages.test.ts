/** requests.json: exact key-server bytes, parsing, and the anti-amplification rule. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { nativeSymmetric } from '../../src/crypto/symmetric-native.ts';
import {
  answerKeyRequest,
  encodeEphemeralKeyRequest,
  encodeEphemeralKeyResponse,
  encodeStaticKeyRequest,
  encodeStaticKeyResponse,
  parseKeyRequest,
  parseKeyResponse,
} from '../../src/protocol/keyserver-messages.ts';
import { buildKeyTree } from '../../src/protocol/keytree.ts';
import { loadVectorBinary, loadVectors } from '../support/vectors.ts';

interface RequestCase {
  kind: 'static' | 'ephemeral' | 'parse_request' | 'parse_response';
  what?: string;
  depth?: number;
  pos?: number;
  request?: string;
  response?: string;
  sntrup761_pk?: string;
  x25519_pk?: string;
  data?: string;
  ok?: boolean;
  result?: { type: string; depth?: number; pos?: number; keydata?: string } | null;
}

const { cases } = loadVectors<{ cases: RequestCase[] }>('requests.json');
const x25519Pk = fromHex(loadVectors<{ x25519_pk: string }>('pktree.json').x25519_pk);
const tree = buildKeyTree(nativeSymmetric, loadVectorBinary('mceliece_pk.bin'), x25519Pk);

describe('key-server messages', () => {
  it('encodes static and ephemeral requests and responses byte for byte', () => {
    for (const c of cases) {
      if (c.kind === 'static') {
        assert.equal(toHex(encodeStaticKeyRequest(c.depth!, c.pos!)), c.request);
        const node = tree.nodes[c.depth!]![c.pos!]!;
        assert.equal(toHex(encodeStaticKeyResponse(c.depth!, c.pos!, node)), c.response);
      } else if (c.kind === 'ephemeral') {
        assert.equal(toHex(encodeEphemeralKeyRequest()), c.request);
        assert.equal(
          toHex(encodeEphemeralKeyResponse(fromHex(c.sntrup761_pk!), fromHex(c.x25519_pk!))),
          c.response,
        );
      }
    }
  });

  it('parses requests as the deployed key server does (malformed = no answer, never a throw)', () => {
    for (const c of cases.filter((x) => x.kind === 'parse_request')) {
      const parsed = parseKeyRequest(fromHex(c.data!));
      if (c.ok === false) {
        assert.equal(parsed.ok, false, c.what);
        continue;
      }
      assert.ok(parsed.ok, c.what);
      if (c.result === null) assert.equal(parsed.value, null, c.what);
      else if (c.result?.type === 'static') {
        assert.deepEqual(
          parsed.value,
          { kind: 'static', depth: c.result.depth, position: c.result.pos },
          c.what,
        );
      } else assert.deepEqual(parsed.value, { kind: 'ephemeral' }, c.what);
    }
  });

  it('parses responses and refuses every malformed one', () => {
    for (const c of cases.filter((x) => x.kind === 'parse_response')) {
      const parsed = parseKeyResponse(fromHex(c.data!));
      if (c.result === null) {
        assert.equal(parsed.ok, false, c.what);
        continue;
      }
      assert.ok(parsed.ok && parsed.value.kind === 'static', c.what);
      assert.equal(parsed.value.depth, c.result!.depth);
      assert.equal(parsed.value.position, c.result!.pos);
      assert.equal(toHex(parsed.value.node), c.result!.keydata);
    }
  });

  it('answers only requests exactly as long as the answer (anti-amplification)', () => {
    const materialFor = (ephemeral: RequestCase | undefined) => ({
      node: (depth: number, position: number) => tree.nodes[depth]![position]!,
      currentEphemeral: () => ({
        ekemPk: fromHex(ephemeral!.sntrup761_pk!),
        x25519Pk: fromHex(ephemeral!.x25519_pk!),
      }),
    });
    const material = materialFor(cases.find((c) => c.kind === 'ephemeral'));
    for (const c of cases.filter((x) => x.kind === 'static' || x.kind === 'ephemeral')) {
      const answer = answerKeyRequest(
        fromHex(c.request!),
        materialFor(c.kind === 'ephemeral' ? c : undefined),
      );
      assert.ok(answer.ok);
      assert.equal(toHex(answer.value), c.response);
    }
    assert.equal(answerKeyRequest(fromHex('f200'), material).ok, false, 'short ephemeral request');
    const request = encodeStaticKeyRequest(3, 909);
    assert.equal(answerKeyRequest(request.subarray(0, request.length - 1), material).ok, false);
    const shortPadding = encodeStaticKeyRequest(3, 0).slice();
    shortPadding[2 + 3 + 2 + 2 + 2] = 0;
    shortPadding[2 + 3 + 2 + 2 + 3] = 10;
    assert.equal(
      answerKeyRequest(shortPadding.subarray(0, 2 + 3 + 4 + 2 + 10), material).ok,
      false,
    );
    assert.equal(
      answerKeyRequest(encodeStaticKeyResponse(0, 0, tree.root), material).ok,
      false,
      'response type',
    );
  });
});
