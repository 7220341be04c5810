/**
 * The early-packet buffer (0-RTT data that overtakes its handshake): held only while a
 * handshake is pending, at most 256, for a second, each as a copy of its own bytes, so a
 * datagram cut out of a 64 KiB GRO receive buffer does not keep that buffer alive.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/engine/clock.ts';
import { EarlyPacketBuffer } from '../../src/engine/early-packets.ts';

const datagram = (data: Uint8Array) => ({ data, address: '192.0.2.1', port: 42423 });

describe('early packets', () => {
  it('holds a copy of each packet, not a view into the buffer it came in', () => {
    const buffer = new EarlyPacketBuffer(new VirtualClock());
    const receive = new Uint8Array(65_536).fill(7);
    assert.equal(buffer.hold('t', datagram(receive.subarray(100, 160)), true), true);
    const [held] = buffer.release('t');
    assert.equal(held!.data.length, 60);
    assert.equal(held!.data.buffer.byteLength, 60, 'its own 60 bytes, not the 64 KiB buffer');
    assert.ok(held!.data.every((byte) => byte === 7));
  });

  it('holds nothing without a pending handshake, at most 256, for one second', async () => {
    const clock = new VirtualClock();
    const buffer = new EarlyPacketBuffer(clock);
    assert.equal(buffer.hold('a', datagram(new Uint8Array(1)), false), false);
    for (let i = 0; i < 256; i++)
      assert.equal(buffer.hold('a', datagram(new Uint8Array(1)), true), true);
    assert.equal(buffer.hold('b', datagram(new Uint8Array(1)), true), false);
    await clock.advance(1_001);
    assert.equal(buffer.hold('b', datagram(new Uint8Array(1)), true), true);
    assert.equal(buffer.release('a').length, 0, 'expired');
    assert.equal(buffer.release('b').length, 1);
  });
});
