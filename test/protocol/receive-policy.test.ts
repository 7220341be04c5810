/**
 * Our receive policy, beyond the deployed one: long loss bursts and deep reordering
 * without stalling, every replay refused, forged epochs and counters never moving the
 * window, bounded key memory, and expiry of epochs 120 s after they start.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nativeSymmetric as sym } from '../../src/crypto/symmetric-native.ts';
import { MAX_SKIP, REORDER_WINDOW } from '../../src/protocol/receive-epoch.ts';
import { TunnelSession } from '../../src/protocol/tunnel-session.ts';

function pair(now = 0): { a: TunnelSession; b: TunnelSession } {
  const tid = new Uint8Array(32).fill(0x11);
  const x = new Uint8Array(32).fill(0x22);
  const y = new Uint8Array(32).fill(0x33);
  return { a: new TunnelSession(sym, tid, x, y, now), b: new TunnelSession(sym, tid, y, x, now) };
}

function sendMany(session: TunnelSession, count: number, now = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    session.seal(new Uint8Array([i & 0xff, i >> 8]), now),
  );
}

function forge(packet: Uint8Array, mutate: (copy: Uint8Array) => void): Uint8Array {
  const copy = packet.slice();
  mutate(copy);
  return copy;
}

describe('receive policy', () => {
  it('survives a burst of 1,000 lost packets, then takes late ones within the window', () => {
    const { a, b } = pair();
    const packets = sendMany(a, 1200);
    assert.ok(b.open(packets[0]!, 0).ok);
    for (const packet of packets.slice(1001)) assert.ok(b.open(packet, 0).ok);
    assert.ok(b.open(packets[600]!, 0).ok, 'late packet inside the reorder window');
    assert.equal(b.open(packets[5]!, 0).ok, false, 'too old: behind the reorder window');
  });

  it(`survives a burst of ${MAX_SKIP - 1} lost packets but not one past MAX_SKIP`, () => {
    const { a, b } = pair();
    const packets = sendMany(a, MAX_SKIP + 3);
    assert.equal(b.open(packets[MAX_SKIP + 2]!, 0).ok, false, 'beyond MAX_SKIP');
    assert.ok(b.open(packets[MAX_SKIP - 1]!, 0).ok);
    assert.ok(
      b.open(packets[MAX_SKIP + 2]!, 0).ok,
      'now within reach of the highest authenticated',
    );
  });

  it('accepts any permutation of reordered packets exactly once', () => {
    const { a, b } = pair();
    const packets = sendMany(a, 500);
    const order = packets.map((_, i) => i).sort((i, j) => ((i * 7919) % 501) - ((j * 7919) % 501));
    for (const i of order) assert.ok(b.open(packets[i]!, 0).ok, `packet ${i}`);
    for (const i of order) assert.equal(b.open(packets[i]!, 0).ok, false, `replay of ${i}`);
  });

  it('refuses every replay, also after the block of its key is used up', () => {
    const { a, b } = pair();
    const packets = sendMany(a, 40);
    for (const packet of packets) assert.ok(b.open(packet, 0).ok);
    for (const packet of packets) assert.equal(b.open(packet, 0).ok, false);
  });

  it('a forged far counter or epoch neither moves the window nor loses genuine packets', () => {
    const { a, b } = pair();
    const packets = sendMany(a, 50);
    assert.ok(b.open(packets[0]!, 0).ok);
    const farCounter = forge(packets[1]!, (p) => {
      p[36] = 0;
      p[37] = 0;
      p[38] = 0x10;
      p[39] = 0;
    });
    assert.equal(b.open(farCounter, 0).ok, false);
    const futureEpoch = forge(packets[2]!, (p) => {
      p[35] = 5;
    });
    assert.equal(b.open(futureEpoch, 0).ok, false);
    const badTag = forge(packets[3]!, (p) => {
      p[p.length - 1]! ^= 1;
    });
    assert.equal(b.open(badTag, 0).ok, false);
    assert.deepEqual(b.state(), { sendEpoch: 0, receiveEpoch: 0, receiveEpochsHeld: [0] });
    for (const packet of packets.slice(1)) assert.ok(b.open(packet, 0).ok);
  });

  it('keeps key memory bounded under a flood of forged counters', () => {
    const { a, b } = pair();
    const first = a.seal(new Uint8Array([1]), 0);
    assert.ok(b.open(first, 0).ok);
    for (let counter = 1; counter < MAX_SKIP; counter += 7) {
      const forged = forge(first, (p) => {
        new DataView(p.buffer).setUint32(36, counter);
      });
      assert.equal(b.open(forged, 0).ok, false);
    }
    const held = b.keyMaterialBytes();
    const bound = (MAX_SKIP / 18 + 2) * 32 + (REORDER_WINDOW / 18 + 4) * 18 * 32;
    assert.ok(held <= bound, `held ${held} bytes, bound ${bound}`);
  });

  it('an empty packet is a keepalive that authenticates and delivers nothing', () => {
    const { a, b } = pair();
    const result = b.open(a.seal(new Uint8Array(0), 0), 0);
    assert.ok(result.ok && result.kind === 'data');
    assert.equal(result.plaintext.length, 0);
  });

  it('moves to a new send epoch every 30 s; the receiver follows and erases epochs after 120 s', () => {
    const { a, b } = pair(0);
    assert.ok(b.open(a.seal(new Uint8Array([1]), 0), 0).ok);
    const at31 = a.seal(new Uint8Array([2]), 31);
    assert.equal(at31[35], 1);
    assert.ok(b.open(at31, 31).ok);
    assert.deepEqual(b.state(), { sendEpoch: 1, receiveEpoch: 1, receiveEpochsHeld: [0, 1] });
    const late = a.seal(new Uint8Array([3]), 31);
    assert.ok(b.isAlive(121));
    assert.deepEqual(b.state().receiveEpochsHeld, [1], 'epoch 0 erased 120 s after it started');
    assert.ok(b.open(late, 140).ok);
    assert.equal(b.isAlive(151), false, 'no packet for 120 s: the receive side is dead');
    assert.equal(b.open(a.seal(new Uint8Array([4]), 152), 152).ok, false);
  });

  it('catches the send epoch up when the peer is ahead', () => {
    const { a, b } = pair();
    a.ratchetSend(0);
    a.ratchetSend(0);
    assert.ok(b.open(a.seal(new Uint8Array([1]), 0), 0).ok);
    assert.equal(b.state().sendEpoch, 2);
    const reply = b.seal(new Uint8Array([2]), 0);
    assert.equal(reply[35], 2);
    assert.ok(a.open(reply, 0).ok);
  });

  it('drops malformed and foreign packets with a reason, never a throw', () => {
    const { a, b } = pair();
    const good = a.seal(new Uint8Array([1, 2, 3]), 0);
    for (const bad of [
      new Uint8Array(0),
      good.subarray(0, 55),
      forge(good, (p) => (p[0] = 3)),
      forge(good, (p) => (p[5]! ^= 1)),
    ]) {
      const result = b.open(bad, 0);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.reason.length > 0);
    }
    b.close();
    assert.equal(b.open(good, 0).ok, false);
  });
});
