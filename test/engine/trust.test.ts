/**
 * Nothing unauthenticated moves a session (docs/session-rules.md), under virtual time: an
 * off-path attacker who spoofs the server's address sprays `03 00`, forged tunnel packets
 * and forged key-server answers; the tunnel stays up, no plain route is ever requested,
 * and what the spoofer can make either side compute is bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteRequest } from '../../src/engine/client-engine.ts';
import { initiateHandshake } from '../../src/protocol/handshake.ts';
import {
  encodeEphemeralKeyRequest,
  encodeEphemeralKeyResponse,
  parseKeyResponse,
} from '../../src/protocol/keyserver-messages.ts';
import { TunnelSession } from '../../src/protocol/tunnel-session.ts';
import { discover, roundTrip, stateOf } from '../support/engine-flows.ts';
import {
  CLIENT_ADDRESS,
  createPair,
  echoOnServer,
  type Pair,
  SERVER_ADDRESS,
  seededBytes,
  VECTOR_SERVER_KEYS,
} from '../support/engine-harness.ts';

const NOTICE = new Uint8Array([3, 0]);

function routesOf(pair: Pair): RouteRequest[] {
  const routes: RouteRequest[] = [];
  pair.client.routeRequests.subscribe((r) => routes.push(r));
  return routes;
}

/** Every `intervalMs` of virtual time for `durationMs`, calls `spray`. */
async function during(
  pair: Pair,
  durationMs: number,
  intervalMs: number,
  spray: () => void,
): Promise<void> {
  for (let t = 0; t < durationMs; t += intervalMs) {
    spray();
    await pair.clock.advance(intervalMs);
  }
}

function forgedTunnelPacket(random: (n: number) => Uint8Array): Uint8Array {
  const packet = random(56 + 40);
  packet[0] = 2;
  packet[1] = 0;
  return packet;
}

describe('authenticated state changes only (virtual time)', () => {
  it('a 1 ms spray of spoofed 03 00 neither tears down an established tunnel nor causes plaintext', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const routes = routesOf(pair);
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'before'), 'echo:before');
    const handshakesBefore = pair.server.counters.get('handshakes accepted');
    let answered = 0;
    for (let second = 0; second < 5; second++) {
      await during(pair, 1_000, 1, () =>
        pair.network.spoof(SERVER_ADDRESS, 42424, NOTICE, CLIENT_ADDRESS, 42423),
      );
      if ((await roundTrip(pair, internal, `during ${second}`, 200)) === `echo:during ${second}`)
        answered++;
    }
    assert.equal(answered, 5, 'traffic kept flowing');
    assert.deepEqual(stateOf(pair, internal), { established: 'up' });
    assert.deepEqual(routes, [], 'no plain route requested');
    assert.equal(pair.client.counters.get('plain packets'), 0);
    assert.equal(
      pair.server.counters.get('handshakes accepted'),
      handshakesBefore,
      'the spray cost the server no handshake',
    );
    assert.ok(pair.client.counters.get('handshake-failed notices received') >= 5_000);
    assert.ok(pair.client.counters.get('liveness: probes sent') <= 6, 'at most a probe per second');
  });

  it('on an idle tunnel a spray only costs keepalive probes, which the server answers', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const routes = routesOf(pair);
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'hello'), 'echo:hello');
    await pair.clock.advance(30_000);
    await during(pair, 20_000, 5, () =>
      pair.network.spoof(SERVER_ADDRESS, 42424, NOTICE, CLIENT_ADDRESS, 42423),
    );
    assert.ok(pair.client.sessionActor(internal)?.getSnapshot().matches('established'));
    assert.equal(pair.client.counters.get('handshakes sent'), 1, 'no new handshake');
    assert.equal(pair.client.counters.get('liveness: new handshakes'), 0);
    assert.deepEqual(routes, []);
    assert.equal(await roundTrip(pair, internal, 'after'), 'echo:after');
  });

  it('03 00 sprayed from the first handshake on: bounded handshakes, then established', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const routes = routesOf(pair);
    const internal = await discover(pair);
    await during(pair, 3_000, 1, () =>
      pair.network.spoof(SERVER_ADDRESS, 42424, NOTICE, CLIENT_ADDRESS, 42423),
    );
    assert.ok(pair.client.sessionActor(internal)?.getSnapshot().matches('established'));
    assert.ok(pair.client.counters.get('handshakes sent') <= 3, 'attempts are bounded');
    assert.deepEqual(routes, []);
    assert.equal(await roundTrip(pair, internal, 'x'), 'echo:x');
  });

  it('forged tunnel packets and forged key-server answers do not disturb an established tunnel', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const routes = routesOf(pair);
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'one'), 'echo:one');
    const random = seededBytes(1234);
    const forgedKeys = encodeEphemeralKeyResponse(random(1158), random(32));
    await during(pair, 5_000, 1, () => {
      pair.network.spoof(SERVER_ADDRESS, 42424, forgedTunnelPacket(random), CLIENT_ADDRESS, 42423);
      pair.network.spoof(SERVER_ADDRESS, 42425, forgedKeys, CLIENT_ADDRESS, 42423);
    });
    assert.deepEqual(stateOf(pair, internal), { established: 'up' });
    assert.ok(
      pair.client.counters.dropped('tunnel: unknown tunnel id') >= 4_900,
      JSON.stringify(pair.client.counters.toJSON()),
    );
    assert.equal(await roundTrip(pair, internal, 'two'), 'echo:two');
    assert.deepEqual(routes, []);
  });

  it('forged ephemeral keys that make every handshake fail lead to failed, never to plain fallback', async () => {
    const pair = createPair('fast', { client: { initialBackoffMs: 60_000 } });
    const routes = routesOf(pair);
    const random = seededBytes(99);
    const forgedKeys = encodeEphemeralKeyResponse(random(1158), random(32));
    pair.network.block(SERVER_ADDRESS, 42424);
    const internal = await discover(pair);
    await during(pair, 40_000, 2, () =>
      pair.network.spoof(SERVER_ADDRESS, 42425, forgedKeys, CLIENT_ADDRESS, 42423),
    );
    assert.equal(stateOf(pair, internal), 'failed');
    assert.deepEqual(routes, [], 'no plain route while forged answers are seen');
    assert.ok(pair.client.counters.get('forged key-server answers') > 0);
    assert.ok(
      pair.clientLog.some((line) =>
        /forged key-server answers seen, plain fallback refused/.test(line),
      ),
      pair.clientLog.join('\n'),
    );
  });

  it('a peer that sends keepalives back to back gets at most one answer per 200 ms', async () => {
    const pair = createPair('fast');
    await pair.clock.advance(10);
    await pair.server.ready();
    const peer = pair.network.bind('203.0.113.20', 42423);
    const fromServer: Uint8Array[] = [];
    peer.datagrams.subscribe((batch) => fromServer.push(...batch.map((d) => d.data)));
    peer.send(encodeEphemeralKeyRequest(), SERVER_ADDRESS, 42425);
    await pair.clock.advance(20);
    const answer = parseKeyResponse(fromServer.pop()!);
    assert.ok(answer.ok && answer.value.kind === 'ephemeral');
    const { suite } = pair;
    const pre = await suite.kem.encapsulate('mceliece6960119', VECTOR_SERVER_KEYS.mceliecePk);
    const handshake = await initiateHandshake(
      suite.sym,
      suite.kem,
      { c0: pre.ciphertext, k0: pre.sharedSecret },
      {
        x25519Pk: VECTOR_SERVER_KEYS.x25519Pk,
        ekemPk: answer.value.ekemPk,
        ex25519Pk: answer.value.x25519Pk,
      },
      seededBytes(3),
    );
    assert.ok(handshake);
    const { tid, initiatorRoot, responderRoot } = handshake.keys;
    const tunnel = new TunnelSession(
      suite.sym,
      tid,
      initiatorRoot,
      responderRoot,
      pair.clock.now() / 1000,
    );
    peer.send(handshake.message, SERVER_ADDRESS, 42424);
    await pair.clock.advance(20);
    fromServer.length = 0;
    await during(pair, 1_000, 1, () =>
      peer.send(tunnel.seal(new Uint8Array(0), pair.clock.now() / 1000), SERVER_ADDRESS, 42424),
    );
    await pair.clock.advance(20);
    const answers = fromServer.filter((d) => d[0] === 2).length;
    assert.ok(
      answers >= 4 && answers <= 6,
      `${answers} keepalive answers to 1,000 keepalives in 1 s`,
    );
  });

  it('the server computes at most a bounded burst of handshakes per source address', async () => {
    const pair = createPair('fast');
    await pair.clock.advance(10);
    await pair.server.ready();
    const random = seededBytes(5);
    for (let i = 0; i < 200; i++) {
      const handshake = random(1299);
      handshake[0] = 1;
      handshake[1] = 0;
      pair.network.spoof('203.0.113.9', 5555, handshake, SERVER_ADDRESS, 42424);
      await pair.clock.advance(5);
    }
    const limited = pair.server.counters.dropped('handshake: rate limit for the source address');
    assert.ok(limited >= 130, `${limited} of 200 in 1 s refused before any KEM work`);
  });
});
