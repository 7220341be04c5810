/**
 * The handshake replay set: a c0 seen in the last 120 s is a replay, an older one or a
 * different one (even one differing in its last byte only) is not; both backends agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nativeSymmetric } from '../../src/crypto/symmetric-native.ts';
import { nobleSymmetric } from '../../src/crypto/symmetric-noble.ts';
import { ReplaySet } from '../../src/protocol/replay-set.ts';

const c0 = (last: number) => {
  const bytes = new Uint8Array(194).fill(0x5a);
  bytes[193] = last;
  return bytes;
};

for (const sym of [nativeSymmetric, nobleSymmetric]) {
  describe(`replay set (${sym.name})`, () => {
    it('remembers an accepted c0 for 120 s, then forgets it', () => {
      const replays = new ReplaySet(sym);
      replays.add(replays.entryFor(c0(1)), 1_000);
      assert.equal(replays.has(replays.entryFor(c0(1)), 1_000), true);
      assert.equal(replays.has(replays.entryFor(c0(1)), 1_119.9), true);
      assert.equal(replays.has(replays.entryFor(c0(1)), 1_120), false);
      assert.equal(replays.size, 0, 'the expired entry is gone');
    });

    it('tells apart ciphertexts that differ in their last byte only', () => {
      const replays = new ReplaySet(sym);
      replays.add(replays.entryFor(c0(1)), 5);
      assert.equal(replays.has(replays.entryFor(c0(2)), 5), false);
      replays.add(replays.entryFor(c0(2)), 5);
      assert.equal(replays.size, 2);
    });
  });
}
