/** Vector tests for H, AEAD, the ChaCha20 stream and both KDF forms, on both backends. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../src/crypto/bytes.ts';
import { chachaBlock } from '../../src/crypto/chacha-block.ts';
import { kdf } from '../../src/crypto/kdf.ts';
import { splitTag } from '../../src/crypto/symmetric.ts';
import { BACKENDS } from '../support/backends.ts';
import { hex, loadVectors } from '../support/vectors.ts';

interface AeadCase {
  key: string;
  nonce: string;
  ad: string;
  msg: string;
  ct: string;
  tag: string;
  decrypt_checks: { what: string; ok: boolean }[];
}

function flipFirstBit(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[0]! ^= 1;
  return out;
}

/** Applies one of aead.json's named modifications to (nonce, ct‖tag, ad). */
function tamper(
  what: string,
  c: AeadCase,
): { nonce: Uint8Array; sealed: Uint8Array; ad: Uint8Array } {
  const nonce = hex(c.nonce);
  const ct = hex(c.ct);
  const tag = hex(c.tag);
  const ad = hex(c.ad);
  const sealed = (ctPart: Uint8Array, tagPart: Uint8Array) =>
    new Uint8Array([...ctPart, ...tagPart]);
  switch (what) {
    case 'tag_bitflip':
      return { nonce, sealed: sealed(ct, flipFirstBit(tag)), ad };
    case 'ct_bitflip':
      return { nonce, sealed: sealed(flipFirstBit(ct), tag), ad };
    case 'ad_bitflip':
      return { nonce, sealed: sealed(ct, tag), ad: flipFirstBit(ad) };
    case 'ad_added_zero_byte':
      return { nonce, sealed: sealed(ct, tag), ad: new Uint8Array([...ad, 0]) };
    case 'nonce_bitflip':
      return { nonce: flipFirstBit(nonce), sealed: sealed(ct, tag), ad };
    default:
      throw new Error(`unknown modification ${what}`);
  }
}
interface KdfCase {
  kind: 'stream_kdf' | 'h';
  n?: number;
  k?: string;
  inpt?: string | null;
  out?: string[] | string;
  ok?: boolean;
  x?: string;
}
interface StreamCase {
  kind: 'stream' | 'kdf';
  key?: string;
  nonce?: string;
  ic?: string;
  len?: number;
  out: string | string[];
  n?: number;
  k?: string;
  x?: string;
}

/** The original ChaCha20 stream block by block, from the portable single-block function. */
function chachaReference(key: Uint8Array, nonce: Uint8Array) {
  return (counter: bigint, length: number): Uint8Array => {
    const out = new Uint8Array(Math.ceil(length / 64) * 64);
    for (let block = 0; block * 64 < length; block++) {
      const at = BigInt.asUintN(64, counter + BigInt(block));
      out.set(chachaBlock(key, nonce, Number(at & 0xffff_ffffn), Number(at >> 32n)), block * 64);
    }
    return out.subarray(0, length);
  };
}

const aead = loadVectors<{ cases: AeadCase[] }>('aead.json');
const kdfVectors = loadVectors<{ cases: KdfCase[] }>('kdf.json');
const streamVectors = loadVectors<{ cases: StreamCase[] }>('stream_counter.json');

for (const backend of BACKENDS) {
  const { sym } = backend;
  describe(`symmetric primitives (${backend.name})`, () => {
    it('AEAD seals and opens every aead.json case, and refuses every tampered one', () => {
      for (const c of aead.cases) {
        const sealed = sym.aeadSeal(hex(c.key), hex(c.nonce), hex(c.msg), hex(c.ad));
        const { ciphertext, tag } = splitTag(sealed);
        assert.equal(toHex(ciphertext), c.ct);
        assert.equal(toHex(tag), c.tag);
        const opened = sym.aeadOpen(hex(c.key), hex(c.nonce), hex(c.ct + c.tag), hex(c.ad));
        assert.equal(opened === null ? null : toHex(opened), c.msg);
        assert.ok(c.decrypt_checks.length > 0);
        for (const check of c.decrypt_checks) {
          const { nonce, sealed: input, ad } = tamper(check.what, c);
          const result = sym.aeadOpen(hex(c.key), nonce, input, ad);
          assert.equal(result !== null, check.ok, `${check.what} on case ${c.key.slice(0, 8)}`);
        }
      }
    });

    it('AEAD into a given buffer and in place gives the same bytes and refusals', () => {
      for (const c of aead.cases) {
        const out = new Uint8Array(hex(c.msg).length + 16);
        sym.aeadSealInto(out, hex(c.key), hex(c.nonce), hex(c.msg), hex(c.ad));
        assert.equal(toHex(out), c.ct + c.tag);
        const sealed = hex(c.ct + c.tag);
        const opened = sym.aeadOpenInPlace(hex(c.key), hex(c.nonce), sealed, hex(c.ad));
        assert.ok(opened !== null);
        assert.equal(toHex(opened), c.msg);
        assert.equal(opened.buffer, sealed.buffer, 'the plaintext is a view of the sealed bytes');
        for (const check of c.decrypt_checks) {
          const { nonce, sealed: input, ad } = tamper(check.what, c);
          const result = sym.aeadOpenInPlace(hex(c.key), nonce, input.slice(), ad);
          assert.equal(result !== null, check.ok, `${check.what} on case ${c.key.slice(0, 8)}`);
        }
      }
      assert.throws(() =>
        sym.aeadSealInto(
          new Uint8Array(3),
          new Uint8Array(32),
          new Uint8Array(12),
          new Uint8Array(),
          new Uint8Array(),
        ),
      );
    });

    it('a refused tag leaves the sealed bytes of aeadOpen, and Error.stackTraceLimit, as they were', () => {
      const limit = Error.stackTraceLimit;
      for (const c of aead.cases)
        for (const check of c.decrypt_checks.filter((d) => !d.ok)) {
          const { nonce, sealed, ad } = tamper(check.what, c);
          const before = toHex(sealed);
          assert.equal(sym.aeadOpen(hex(c.key), nonce, sealed, ad), null);
          assert.equal(toHex(sealed), before, check.what);
          // In place, the refused bytes are undefined (libsodium zeroes its output).
          assert.equal(sym.aeadOpenInPlace(hex(c.key), nonce, sealed, ad), null);
          assert.equal(Error.stackTraceLimit, limit);
        }
    });

    it('AEAD refuses inputs shorter than a tag without throwing', () => {
      assert.equal(
        sym.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(15), new Uint8Array()),
        null,
      );
    });

    it('KDF and H match every kdf.json case; malformed inputs are rejected', () => {
      let checked = 0;
      for (const c of kdfVectors.cases) {
        if (c.kind === 'h') {
          assert.equal(toHex(sym.hash(hex(c.x!))), c.out);
        } else if (c.ok === false) {
          assert.throws(
            () => kdf(sym, c.n!, hex(c.k!), c.inpt ? hex(c.inpt) : undefined),
            RangeError,
          );
        } else {
          const out = kdf(sym, c.n!, hex(c.k!), c.inpt ? hex(c.inpt) : undefined);
          assert.deepEqual(out.map(toHex), c.out);
        }
        checked++;
      }
      assert.equal(checked, kdfVectors.cases.length);
    });

    it('the ChaCha20 stream carries its 64-bit counter across 2^32 and wraps at 2^64', () => {
      for (const c of streamVectors.cases) {
        if (c.kind === 'stream') {
          const out = sym.stream(hex(c.key!), hex(c.nonce!), BigInt(c.ic!), c.len!);
          assert.equal(toHex(out), c.out, `stream at ic ${c.ic}`);
        } else {
          assert.deepEqual(kdf(sym, c.n!, hex(c.k!), hex(c.x!)).map(toHex), c.out);
        }
      }
    });

    it('the stream agrees with a second implementation at counters on both sides of 2^32 multiples', () => {
      const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
      const nonce = new Uint8Array(8).map((_, i) => 0xa0 + i);
      const reference = chachaReference(key, nonce);
      for (const high of [0n, 1n, 0x1234_5678n, 0xffff_ffffn])
        for (const low of [1n, 2n ** 31n, 2n ** 32n - 10n, 2n ** 32n - 2n, 2n ** 32n - 1n])
          for (const length of [32, 64, 96, 608]) {
            const counter = (high << 32n) | low;
            assert.equal(
              toHex(sym.stream(key, nonce, counter, length)),
              toHex(reference(counter, length)),
              `counter ${counter.toString(16)}, ${length} bytes`,
            );
          }
    });

    it('X25519 agrees in both directions and refuses low-order points', () => {
      const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
      const shared = sym.x25519(a, sym.x25519PublicKey(b));
      assert.equal(
        shared === null ? null : toHex(shared),
        '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
      );
      assert.deepEqual(sym.x25519(b, sym.x25519PublicKey(a)), shared);
      assert.equal(sym.x25519(a, new Uint8Array(32)), null);
    });
  });
}
