/**
 * Liveness targets (docs/session-rules.md), under virtual time with traffic every 200 ms:
 * traffic flows again ≤ 5 s after our server restarts (it answers `03 00`), ≤ 20 s after a
 * restart of a server that never sends `03 00` (deployed behaviour), and a killed server
 * leads to the fallback decision ≤ 30 s after the first unanswered packet, logged at WARN
 * with its reason. And the first exchange on a fresh tunnel to a server that drops data
 * overtaking its handshake (its handshake computation takes 3 ms) is answered within
 * 300 ms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteRequest } from '../../src/engine/client-engine.ts';
import { discover, echoingTunnel, roundTrip } from '../support/engine-flows.ts';
import {
  createPair,
  DEPLOYED_LIKE_SERVER,
  echoOnServer,
  killServer,
  type Pair,
  restartServer,
  slowResponderSuite,
  udpPacket,
} from '../support/engine-harness.ts';

const TICK_MS = 200;

/** Sends a message every TICK_MS until one is echoed; the virtual time that took. */
async function timeUntilEchoed(pair: Pair, internal: string, limitMs: number): Promise<number> {
  const start = pair.clock.now();
  for (let i = 0; pair.clock.now() - start <= limitMs; i++) {
    if ((await roundTrip(pair, internal, `probe ${i}`, TICK_MS)) === `echo:probe ${i}`)
      return pair.clock.now() - start;
  }
  return Number.POSITIVE_INFINITY;
}

async function established(pair: Pair): Promise<string> {
  echoOnServer(pair.server);
  const internal = await discover(pair);
  assert.equal(await roundTrip(pair, internal, 'up'), 'echo:up');
  for (let i = 0; i < 10; i++) await roundTrip(pair, internal, `warm ${i}`, TICK_MS);
  return internal;
}

describe('liveness (virtual time)', () => {
  it('traffic flows again within 5 s after our server restarts (03 00)', async () => {
    const pair = createPair('fast');
    const internal = await established(pair);
    echoOnServer(await restartServer(pair));
    const recovered = await timeUntilEchoed(pair, internal, 30_000);
    assert.ok(recovered <= 5_000, `recovered after ${recovered} ms`);
    assert.equal(pair.client.counters.get('plain packets'), 0);
    assert.equal(
      pair.client.counters.get('forged key-server answers'),
      0,
      'a restarted server with a new ephemeral key in the same slot is no forgery',
    );
    process.stdout.write(`# recovery after a restart with 03 00: ${recovered} ms\n`);
  });

  it('traffic flows again within 20 s after a restart of a server that never sends 03 00', async () => {
    const pair = createPair('fast');
    const internal = await established(pair);
    echoOnServer(await restartServer(pair, DEPLOYED_LIKE_SERVER));
    const recovered = await timeUntilEchoed(pair, internal, 60_000);
    assert.ok(recovered <= 20_000, `recovered after ${recovered} ms`);
    assert.ok(pair.clientLog.some((l) => /inner data unanswered for 5 s; new handshake/.test(l)));
    process.stdout.write(`# recovery after a silent restart: ${recovered} ms\n`);
  });

  it('a killed server leads to the fallback decision within 30 s of the first unanswered packet, with a reason', async () => {
    const pair = createPair('fast');
    const internal = await established(pair);
    const routes: { at: number; route: RouteRequest }[] = [];
    pair.client.routeRequests.subscribe((route) => routes.push({ at: pair.clock.now(), route }));
    killServer(pair);
    const firstUnanswered = pair.clock.now();
    while (routes.length === 0 && pair.clock.now() - firstUnanswered < 60_000)
      await roundTrip(pair, internal, 'anyone?', TICK_MS);
    assert.equal(routes[0]?.route.action, 'add');
    const decidedAfter = routes[0]!.at - firstUnanswered;
    assert.ok(decidedAfter <= 30_000, `fallback decided after ${decidedAfter} ms`);
    const warning = pair.clientLog.find((l) => /PLAIN FALLBACK to/.test(l));
    assert.match(warning ?? '', /no ephemeral key from .* after 4 requests/);
    assert.doesNotMatch(warning ?? '', /null/);
    assert.equal(
      pair.client.sessions()[0]!.fallbackReason,
      'no ephemeral key from 198.51.100.1:42425 after 4 requests',
    );
    process.stdout.write(`# fallback decision after a server was killed: ${decidedAfter} ms\n`);
  });

  it('the first exchange through a fresh tunnel to a server that drops early data is answered within 300 ms', async () => {
    const pair = createPair('fast');
    echoOnServer(
      await restartServer(pair, { ...DEPLOYED_LIKE_SERVER, suite: slowResponderSuite(pair, 3) }),
    );
    const internal = await discover(pair);
    let handshakeAt = 0;
    pair.network.tap((_from, _to, data) => {
      if (data[0] === 1 && handshakeAt === 0) handshakeAt = pair.clock.now();
    });
    let answeredAt = 0;
    pair.client.innerPackets.subscribe(() => {
      if (answeredAt === 0) answeredAt = pair.clock.now();
    });
    pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, new Uint8Array([0x53])));
    await pair.clock.advance(5_000);
    assert.ok(
      handshakeAt > 0 && answeredAt > 0,
      `answered at all: ${JSON.stringify({ client: pair.client.counters.toJSON(), server: pair.server.counters.toJSON() })}`,
    );
    assert.ok(pair.server.counters.dropped('tunnel: data before its handshake completed') >= 1);
    assert.equal(pair.client.counters.get('early data resent'), 1);
    const latency = answeredAt - handshakeAt;
    assert.ok(latency <= 300, `first answer ${latency} ms after the handshake`);
    process.stdout.write(
      `# first answer through a fresh tunnel (early data resent): ${latency} ms\n`,
    );
  });

  it('early data is not resent to a server that confirmed the tunnel', async () => {
    const { pair } = await echoingTunnel('once');
    assert.equal(pair.client.counters.get('early data resent'), 0);
  });
});
