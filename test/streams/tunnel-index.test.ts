/** TunnelIndex: lookup by a packet's tunnel id, full-id comparison, buckets shared by ids with equal first bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTunnelHeader } from '../../src/protocol/tunnel-packet.ts';
import { TunnelIndex } from '../../src/streams/tunnel-index.ts';

function tid(fill: number, last = fill): Uint8Array {
  const id = new Uint8Array(32).fill(fill);
  id[31] = last;
  return id;
}

describe('tunnel index', () => {
  it('finds a tunnel from the tunnel id in a packet, and nothing for others', () => {
    const index = new TunnelIndex<string>();
    index.set(tid(1), 'one');
    index.set(tid(0xff), 'ff');
    assert.equal(index.forPacket(encodeTunnelHeader(tid(1), 0, 5)), 'one');
    assert.equal(index.forPacket(encodeTunnelHeader(tid(0xff), 3, 9)), 'ff');
    assert.equal(index.forPacket(encodeTunnelHeader(tid(2), 0, 0)), undefined);
    assert.equal(index.forPacket(new Uint8Array(20)), undefined, 'too short for a tunnel id');
    assert.equal(index.size, 2);
  });

  it('tells apart ids that share the first six bytes, and deletes one of them', () => {
    const index = new TunnelIndex<string>();
    index.set(tid(7, 1), 'a');
    index.set(tid(7, 2), 'b');
    assert.equal(index.get(tid(7, 1)), 'a');
    assert.equal(index.get(tid(7, 2)), 'b');
    assert.equal(index.get(tid(7, 3)), undefined);
    assert.ok(index.delete(tid(7, 1)));
    assert.equal(index.delete(tid(7, 1)), false);
    assert.equal(index.get(tid(7, 2)), 'b');
    assert.deepEqual([...index.values()], ['b']);
    assert.equal(index.size, 1);
  });

  it('keeps its own copy of the id: a caller reusing its buffer changes nothing', () => {
    const index = new TunnelIndex<string>();
    const id = tid(9);
    index.set(id, 'x');
    id.fill(0);
    assert.equal(index.get(tid(9)), 'x');
    index.set(tid(9), 'y');
    assert.equal(index.size, 1, 'setting an existing id replaces its value');
    assert.equal(index.get(tid(9)), 'y');
  });

  it('holds thousands of ids through growth, deletion and reuse of their slots', () => {
    const index = new TunnelIndex<number>();
    const ids = Array.from({ length: 3_000 }, (_, i) => {
      const id = new Uint8Array(32);
      new DataView(id.buffer).setUint32(0, Math.imul(i, 2_654_435_761) >>> 0);
      id[31] = i & 0xff;
      return id;
    });
    for (const [i, id] of ids.entries()) index.set(id, i);
    for (let i = 0; i < ids.length; i += 2) assert.ok(index.delete(ids[i]!));
    assert.equal(index.size, 1_500);
    for (let i = 0; i < ids.length; i += 2) assert.equal(index.get(ids[i]!), undefined);
    for (let i = 0; i < ids.length; i += 4) index.set(ids[i]!, -i);
    for (const [i, id] of ids.entries()) {
      const expected = i % 2 === 1 ? i : i % 4 === 0 ? -i : undefined;
      assert.equal(index.get(id), expected, `id ${i}`);
    }
    assert.equal([...index.values()].length, index.size);
  });

  it('keeps three ids with the same leading bytes apart when the middle one goes', () => {
    const index = new TunnelIndex<string>();
    for (const last of [1, 2, 3]) index.set(tid(5, last), `v${last}`);
    assert.ok(index.delete(tid(5, 2)));
    assert.equal(index.get(tid(5, 1)), 'v1');
    assert.equal(index.get(tid(5, 3)), 'v3');
    assert.ok(index.delete(tid(5, 1)));
    assert.equal(index.forPacket(encodeTunnelHeader(tid(5, 3), 0, 0)), 'v3');
    assert.deepEqual([...index.values()], ['v3']);
  });
});
