/**
 * Property tests for every codec that sees network bytes: decode(encode(x)) = x, and every
 * truncation, extension or wrong type is refused with a reason — never an exception.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nativeSymmetric as sym } from '../../src/crypto/symmetric-native.ts';
import { base32Decode, base32Encode } from '../../src/protocol/base32.ts';
import { isCookie, openCookie, sealCookie } from '../../src/protocol/cookie.ts';
import { parseHandshake } from '../../src/protocol/handshake.ts';
import { rewriteInnerPacket } from '../../src/protocol/ipv4.ts';
import {
  encodeEphemeralKeyRequest,
  encodeEphemeralKeyResponse,
  encodeStaticKeyRequest,
  encodeStaticKeyResponse,
  parseKeyRequest,
  parseKeyResponse,
} from '../../src/protocol/keyserver-messages.ts';
import { NODE_COUNTS, nodeLength } from '../../src/protocol/keytree.ts';
import { formatPq1Label, parsePq1Name } from '../../src/protocol/names.ts';
import { parseTunnelPacket } from '../../src/protocol/tunnel-packet.ts';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const port = fc.integer({ min: 0, max: 0xffff });
const nodeRef = fc.integer({ min: 1, max: 3 }).chain((depth) =>
  fc.record({
    depth: fc.constant(depth),
    position: fc.integer({ min: 0, max: NODE_COUNTS[depth]! - 1 }),
  }),
);

function neverThrows(parse: (b: Uint8Array) => unknown) {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1400 }), (b) => {
      parse(b);
    }),
  );
}

describe('codec properties', () => {
  it('base32 round-trips any bytes; decoding any string never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const decoded = base32Decode(base32Encode(b));
        assert.ok(decoded.ok);
        assert.deepEqual(decoded.value, b);
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void base32Decode(s)));
  });

  it('pq1 labels round-trip with and without ports; any name parses without throwing', () => {
    fc.assert(
      fc.property(bytes32, port, port, fc.boolean(), (pkh, crypto, key, withPorts) => {
        const ports = withPorts ? { crypto, key } : undefined;
        const parsed = parsePq1Name(`www.${formatPq1Label(pkh, ports)}.example.`);
        assert.ok(parsed);
        assert.deepEqual(parsed.pkh, pkh);
        assert.deepEqual(parsed.ports, ports);
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void parsePq1Name(`pq1${s}.x`)));
  });

  it('static key requests and responses round-trip; truncations and extensions are refused', () => {
    fc.assert(
      fc.property(nodeRef, ({ depth, position }) => {
        const request = encodeStaticKeyRequest(depth, position);
        const parsed = parseKeyRequest(request);
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.value, { kind: 'static', depth, position });
        const node = new Uint8Array(nodeLength(depth, position)).fill(depth);
        const response = encodeStaticKeyResponse(depth, position, node);
        const back = parseKeyResponse(response);
        assert.ok(back.ok && back.value.kind === 'static');
        assert.deepEqual(back.value.node, node);
        for (const cut of [1, 2, 3, response.length - 3]) {
          assert.equal(parseKeyResponse(response.subarray(0, response.length - cut)).ok, false);
        }
        assert.equal(parseKeyResponse(new Uint8Array([...response, 0])).ok, false);
        assert.equal(parseKeyRequest(new Uint8Array([...request, 0])).ok, false);
      }),
      { numRuns: 50 },
    );
  });

  it('ephemeral key messages round-trip and wrong types are refused', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1158, maxLength: 1158 }),
        bytes32,
        (ekemPk, x25519Pk) => {
          const response = encodeEphemeralKeyResponse(ekemPk, x25519Pk);
          const parsed = parseKeyResponse(response);
          assert.ok(parsed.ok && parsed.value.kind === 'ephemeral');
          assert.deepEqual(parsed.value.ekemPk, ekemPk);
          assert.equal(response.length, encodeEphemeralKeyRequest().length);
          const wrongType = response.slice();
          wrongType[0] = 0xf4;
          assert.equal(parseKeyResponse(wrongType).ok, false);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('cookies round-trip; anything not exactly a cookie is refused', () => {
    fc.assert(
      fc.property(
        bytes32,
        bytes32,
        bytes32,
        bytes32,
        fc.integer({ min: 0, max: 0xffffffff }),
        (key, tid, s, r, epoch) => {
          const contents = { tid, epoch, sendRoot: s, receiveRoot: r };
          const cookie = sealCookie(sym, key, new Uint8Array(12), 1_700_000_000, contents);
          assert.ok(isCookie(cookie));
          const opened = openCookie(sym, cookie, () => key);
          assert.ok(opened.ok);
          assert.deepEqual({ ...opened.value, timestamp: 0 }, { ...contents, timestamp: 0 });
          assert.equal(openCookie(sym, cookie.subarray(1), () => key).ok, false);
          assert.equal(openCookie(sym, new Uint8Array([...cookie, 0]), () => key).ok, false);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('every parser of network input returns a result for arbitrary bytes', () => {
    neverThrows(parseKeyRequest);
    neverThrows(parseKeyResponse);
    neverThrows(parseHandshake);
    neverThrows(parseTunnelPacket);
    neverThrows((b) => rewriteInnerPacket(b, 1, 2));
    neverThrows((b) => openCookie(sym, b, () => new Uint8Array(32)));
  });
});
