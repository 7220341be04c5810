/**
 * Packets travel in batches: a TUN read's packets go through routing and the session's
 * data plane as one batch, datagrams read together are handled together, and the inner
 * packets they carry leave the far engine as one batch (what the daemons write to the
 * TUN in one call). Garbage inside a batch is dropped and counted without disturbing the
 * rest; packets for several sessions are routed in runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters } from '../../src/shared/counters.ts';
import { INNER_ROUTE_COUNTERS, routeInnerRuns } from '../../src/streams/inner-route.ts';
import { echoingTunnel } from '../support/engine-flows.ts';
import { CLIENT_ADDRESS, udpPacket, udpPayload } from '../support/engine-harness.ts';

const bytes = (n: number) => new Uint8Array([n]);

describe('batches through the engines', () => {
  it('a batch of inner packets arrives at the far side as one batch, in order', async () => {
    const { pair, internal } = await echoingTunnel('up');
    const atServer: number[][] = [];
    pair.server.innerBatches.subscribe((batch) =>
      atServer.push(batch.map((p) => udpPayload(p).payload[0]!)),
    );
    const atClient: number[][] = [];
    pair.client.innerBatches.subscribe((batch) => atClient.push(batch.map((p) => p.length)));
    const batch = Array.from({ length: 20 }, (_, i) =>
      udpPacket('10.43.0.1', internal, 5000, 7, bytes(i)),
    );
    pair.client.sendInnerBatch(batch);
    await pair.clock.advance(1_000);
    assert.deepEqual(atServer, [Array.from({ length: 20 }, (_, i) => i)]);
    assert.equal(atClient.length, 1, 'the 20 echoes, sent in one turn, come back as one batch');
    assert.equal(atClient[0]!.length, 20);
    assert.equal(pair.server.counters.totalDropped(), 0);
  });

  it('drops and counts garbage inside a batch and delivers the rest of it together', async () => {
    const { pair, internal } = await echoingTunnel('up');
    const attacker = pair.network.bind('203.0.113.9', 4000);
    const atServer: number[][] = [];
    pair.server.innerBatches.subscribe((batch) =>
      atServer.push(batch.map((p) => udpPayload(p).payload[0]!)),
    );
    const dropsBefore = pair.server.counters.totalDropped();
    // In one turn: tunnel packets from the client with forgeries and junk in between.
    const forged = new Uint8Array(120);
    forged.set([0x02, 0x00]);
    for (let i = 0; i < 6; i++) {
      pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, bytes(i)));
      attacker.send(i % 2 === 0 ? forged : bytes(0xee), '198.51.100.1', 42424);
    }
    await pair.clock.advance(1_000);
    assert.deepEqual(atServer, [[0, 1, 2, 3, 4, 5]]);
    assert.equal(pair.server.counters.totalDropped() - dropsBefore, 6);
    assert.equal(pair.server.sessions()[0]!.peer, `${CLIENT_ADDRESS}:42423`, 'nobody moved it');
  });

  it('routes a batch for several sessions in runs, in order, counting what has no session', () => {
    const counters = new Counters(INNER_ROUTE_COUNTERS);
    const sessions = new Map([
      [0x0a2a0002, 'A'],
      [0x0a2a0003, 'B'],
    ]);
    const to = (address: string, n: number) => udpPacket('10.42.0.1', address, 1, 2, bytes(n));
    const runs: string[] = [];
    routeInnerRuns(
      [
        to('10.42.0.2', 1),
        to('10.42.0.2', 2),
        to('10.42.0.9', 3),
        to('10.42.0.3', 4),
        new Uint8Array([0x45, 0]),
        to('10.42.0.2', 5),
      ],
      sessions,
      (session, run) =>
        runs.push(`${session}:${run.map((p) => udpPayload(p).payload[0]).join(',')}`),
      counters,
    );
    assert.deepEqual(runs, ['A:1,2', 'B:4', 'A:5']);
    assert.equal(counters.dropped('outbound: no session for destination'), 1);
    assert.equal(counters.totalDropped(), 2);
  });
});
