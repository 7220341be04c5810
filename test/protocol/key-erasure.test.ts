/**
 * Key erasure, observed from the outside: every buffer a tunnel's keys were ever in (the
 * KDF outputs, the buffers whose keys sealed and opened packets) holds zeros once the
 * tunnel is closed — across epochs, skipped blocks, reordering and a cookie's roots — and
 * a used send key is zero right after its packet is sealed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { equalBytes } from '../../src/crypto/bytes.ts';
import type { SymmetricPrimitives } from '../../src/crypto/symmetric.ts';
import { nativeSymmetric } from '../../src/crypto/symmetric-native.ts';
import { TunnelSession } from '../../src/protocol/tunnel-session.ts';

const TID = new Uint8Array(32).fill(0x5a);

/** The native primitives, recording every buffer that held key material. */
function recordingPrimitives(): { sym: SymmetricPrimitives; buffers: Set<ArrayBufferLike> } {
  const buffers = new Set<ArrayBufferLike>();
  const sym: SymmetricPrimitives = {
    ...nativeSymmetric,
    stream: (key, nonce, counter, length) => {
      const out = nativeSymmetric.stream(key, nonce, counter, length);
      buffers.add(key.buffer).add(out.buffer);
      return out;
    },
    aeadSealInto: (out, key, nonce, plaintext, ad) => {
      buffers.add(key.buffer);
      nativeSymmetric.aeadSealInto(out, key, nonce, plaintext, ad);
    },
    aeadOpenInPlace: (key, nonce, sealed, ad) => {
      buffers.add(key.buffer);
      return nativeSymmetric.aeadOpenInPlace(key, nonce, sealed, ad);
    },
  };
  return { sym, buffers };
}

/** Zero apart from the public tunnel id, where a buffer starts with it. */
function erased(buffer: ArrayBufferLike): boolean {
  const bytes = new Uint8Array(buffer);
  const from = bytes.length > TID.length && equalBytes(bytes.subarray(0, 32), TID) ? 32 : 0;
  return bytes.subarray(from).every((byte) => byte === 0);
}

describe('key erasure', () => {
  it('leaves every buffer that held a key zero once both ends are closed', () => {
    const { sym, buffers } = recordingPrimitives();
    const x = new Uint8Array(32).fill(0x22);
    const y = new Uint8Array(32).fill(0x33);
    const a = new TunnelSession(sym, TID, x, y, 0);
    const b = new TunnelSession(sym, TID, y, x, 0);
    // The roots are the caller's to erase: the tunnels keep what they need of them.
    x.fill(0);
    y.fill(0);
    for (let second = 0; second <= 100; second += 10) {
      const packets = Array.from({ length: 60 }, (_, i) => a.seal(new Uint8Array([i]), second));
      // Every third lost, the rest delivered backwards: skipped and reordered blocks.
      for (let i = packets.length - 1; i >= 0; i--)
        if (i % 3 !== 0) assert.ok(b.open(packets[i]!, second).ok, `packet ${i} at ${second} s`);
      assert.ok(a.open(b.seal(new Uint8Array(0), second), second).ok);
    }
    assert.ok(a.state().sendEpoch >= 3, 'several epochs went by');
    const roots = b.cookieRoots();
    assert.ok(roots !== null);
    roots.sendRoot.fill(0);
    roots.receiveRoot.fill(0);
    a.close();
    b.close();
    assert.ok(buffers.size > 10);
    for (const buffer of buffers) assert.ok(erased(buffer), `${buffer.byteLength}-byte buffer`);
  });

  it('erases a send key as soon as its packet is sealed', () => {
    const keys: Uint8Array[] = [];
    const sym: SymmetricPrimitives = {
      ...nativeSymmetric,
      aeadSealInto: (out, key, nonce, plaintext, ad) => {
        keys.push(key);
        nativeSymmetric.aeadSealInto(out, key, nonce, plaintext, ad);
      },
    };
    const tunnel = new TunnelSession(sym, TID, new Uint8Array(32).fill(1), new Uint8Array(32), 0);
    for (let i = 0; i < 40; i++) {
      tunnel.seal(new Uint8Array([i]), 0);
      assert.ok(
        keys.at(-1)!.every((byte) => byte === 0),
        `key of packet ${i}`,
      );
    }
    tunnel.close();
  });
});
