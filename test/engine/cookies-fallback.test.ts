/**
 * Cookies (protocol §8) when the server's address pool is full, in both directions;
 * plain fallback when the key server cannot be reached (with the route request the
 * daemon turns into NAT), strict sessions that never fall back, and retry with backoff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import type { RouteRequest } from '../../src/engine/client-engine.ts';
import { discover, roundTrip, stateOf } from '../support/engine-flows.ts';
import {
  addClient,
  createPair,
  echoOnServer,
  udpPacket,
  udpPayload,
} from '../support/engine-harness.ts';

describe('cookies and fallback (virtual time)', () => {
  it('offloads the least recent tunnel by cookie when full, and resumes it from the cookie', async () => {
    const pair = createPair('fast', { server: { maxSessions: 1 } });
    echoOnServer(pair.server);
    const a = pair.client;
    const b = addClient(pair, '192.0.2.2');
    const internalA = await discover(pair, { client: a });
    assert.equal(await roundTrip(pair, internalA, 'a1', 2_000, a), 'echo:a1');
    const internalB = await discover(pair, { client: b });
    assert.equal(await roundTrip(pair, internalB, 'b1', 2_000, b), 'echo:b1');
    assert.equal(pair.server.counters.get('cookies issued'), 1);
    assert.equal(a.counters.get('cookies received'), 1);
    assert.equal(pair.server.sessions().length, 1);

    assert.equal(
      await roundTrip(pair, internalA, 'a2', 2_000, a),
      'echo:a2',
      'A resumed from its cookie',
    );
    assert.equal(pair.server.counters.get('cookies accepted'), 1);
    assert.equal(b.counters.get('cookies received'), 1, 'B offloaded in turn');
    assert.equal(
      await roundTrip(pair, internalB, 'b2', 2_000, b),
      'echo:b2',
      'B resumed from its cookie',
    );
    assert.equal(pair.server.counters.get('cookies accepted'), 2);
    assert.equal(
      a.counters.get('handshakes sent') + b.counters.get('handshakes sent'),
      2,
      'no new handshakes',
    );
  });

  it('falls back to plain traffic when the key server is unreachable, then retries PQ', async () => {
    const pair = createPair('fast', {
      ports: { crypto: 42424, key: 42425 },
      client: { initialBackoffMs: 30_000 },
    });
    const routes: RouteRequest[] = [];
    pair.client.routeRequests.subscribe((r) => routes.push(r));
    pair.network.block('198.51.100.1', 42425);
    const internal = await discover(pair);
    await pair.clock.advance(10_000);
    assert.equal(stateOf(pair, internal), 'fallback', 'key server silent for 6 s: fall back');
    assert.deepEqual(routes[0], {
      action: 'add',
      internalAddress: internal,
      plainAddress: '198.51.100.1',
    });
    const plain = firstValueFrom(pair.client.plainPackets);
    pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 80, new Uint8Array([1])));
    await pair.clock.advance(10);
    assert.equal(udpPayload(await plain).destination, '198.51.100.1');
    pair.network.unblock('198.51.100.1', 42425);
    echoOnServer(pair.server);
    await pair.clock.advance(40_000);
    assert.deepEqual(routes.at(-1), {
      action: 'remove',
      internalAddress: internal,
      plainAddress: '198.51.100.1',
    });
    assert.equal(await roundTrip(pair, internal, 'pq again'), 'echo:pq again');
    assert.ok(pair.clientLog.some((line) => line.includes('PLAIN FALLBACK')));
  });

  it('a strict session (pq1 name asked for directly) fails instead of falling back', async () => {
    const pair = createPair('fast');
    const routes: RouteRequest[] = [];
    pair.client.routeRequests.subscribe((r) => routes.push(r));
    pair.network.block('198.51.100.1', 42425);
    const internal = await discover(pair, { name: pair.pq1Name });
    await pair.clock.advance(60_000);
    assert.equal(stateOf(pair, internal), 'failed');
    assert.equal(routes.length, 0);
    pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 80, new Uint8Array([1])));
    assert.ok(pair.client.counters.dropped('outbound: session not usable') >= 1);
  });

  it('--strict applies to every server', async () => {
    const pair = createPair('fast', { client: { strict: true } });
    pair.network.block('198.51.100.1', 42425);
    const internal = await discover(pair);
    await pair.clock.advance(60_000);
    assert.equal(stateOf(pair, internal), 'failed');
  });
});
