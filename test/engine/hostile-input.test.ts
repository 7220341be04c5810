/**
 * Hostile input at every entry point of both engines — crypto port, key port, client
 * port, DNS answers, inner packets — plus replayed and forged tunnel packets and
 * handshakes. Everything is dropped and counted; nothing crashes; the tunnel still works.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reportedNames, UNCATALOGUED } from '../../src/shared/counters.ts';
import { discover, echoingTunnel, roundTrip } from '../support/engine-flows.ts';
import {
  CLIENT_ADDRESS,
  createPair,
  echoOnServer,
  SERVER_ADDRESS,
} from '../support/engine-harness.ts';

function mutate(packet: Uint8Array, index: number): Uint8Array {
  const copy = packet.slice();
  copy[index % copy.length]! ^= 0x40;
  return copy;
}

describe('hostile input (virtual time)', () => {
  it('replayed and forged tunnel packets and handshakes are refused and counted', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const captured: { from: string; to: string; data: Uint8Array }[] = [];
    pair.network.tap((from, to, data) => captured.push({ from, to, data }));
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'one'), 'echo:one');
    const attacker = pair.network.bind('203.0.113.66', 4444);
    const toServer = captured.filter((c) => c.to === `${SERVER_ADDRESS}:42424`);
    const handshake = toServer.find((c) => c.data[0] === 1)!.data;
    const tunnelPackets = toServer.filter((c) => c.data[0] === 2).map((c) => c.data);
    assert.ok(tunnelPackets.length >= 1);
    const before = pair.server.counters.totalDropped();
    attacker.send(handshake, SERVER_ADDRESS, 42424);
    for (const packet of tunnelPackets) attacker.send(packet, SERVER_ADDRESS, 42424);
    for (const [i, packet] of tunnelPackets.entries())
      attacker.send(mutate(packet, 40 + i), SERVER_ADDRESS, 42424);
    attacker.send(mutate(handshake, 600), SERVER_ADDRESS, 42424);
    await pair.clock.advance(500);
    const counters = pair.server.counters;
    assert.equal(
      counters.dropped('handshake: replayed c0'),
      2,
      'the replay and the tampered copy (same c0)',
    );
    assert.ok(counters.dropped('tunnel: replayed-or-expired') >= tunnelPackets.length);
    assert.ok(counters.totalDropped() - before >= 2 * tunnelPackets.length + 2);
    assert.equal(
      pair.server.sessions()[0]!.peer,
      `${CLIENT_ADDRESS}:42423`,
      'replays did not move the peer',
    );
    assert.equal(await roundTrip(pair, internal, 'two'), 'echo:two');
  });

  it('random datagrams at every port and random DNS/inner packets never crash the engines', async () => {
    const { pair, internal } = await echoingTunnel('before');
    const attacker = pair.network.bind('203.0.113.66', 4444);
    const typePrefixes = [
      [],
      [1, 0],
      [2, 0],
      [3, 0],
      [0xf0, 0],
      [0xf1, 0],
      [0xf2, 0],
      [0xf3, 0],
      [...new TextEncoder().encode('pqccookE')],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...typePrefixes),
        fc.uint8Array({ maxLength: 1400 }),
        fc.constantFrom(
          `${SERVER_ADDRESS}:42424`,
          `${SERVER_ADDRESS}:42425`,
          `${CLIENT_ADDRESS}:42423`,
        ),
        async (prefix, body, target) => {
          const [address, port] = target.split(':') as [string, string];
          attacker.send(new Uint8Array([...prefix, ...body]), address, Number(port));
          pair.client.rewriteDnsAnswer(body);
          pair.client.sendInner(body);
          pair.server.sendInner(body);
          await pair.clock.advance(1);
        },
      ),
      { numRuns: 300 },
    );
    await pair.clock.advance(100);
    assert.ok(pair.server.counters.totalDropped() > 0);
    assert.ok(pair.client.counters.totalDropped() > 0);
    for (const engine of [pair.client, pair.server]) {
      const names = new Set(reportedNames(engine.counters.catalogue));
      const moved = Object.keys(engine.counters.toJSON());
      assert.deepEqual(
        moved.filter((name) => !names.has(name) || name === UNCATALOGUED),
        [],
      );
    }
    assert.equal(await roundTrip(pair, internal, 'after'), 'echo:after');
  });

  it('a DNS answer that does not parse passes through byte for byte', async () => {
    const pair = createPair('fast');
    const garbage = new Uint8Array([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 0x77]);
    const result = pair.client.rewriteDnsAnswer(garbage);
    assert.equal(result.rewritten, false);
    assert.deepEqual(result.bytes, garbage);
    assert.equal(pair.client.counters.dropped('dns: malformed answer passed through'), 1);
  });
});
