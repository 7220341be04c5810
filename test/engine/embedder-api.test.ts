/**
 * What an embedder sees of a client session without reaching into the machine: tunnel id,
 * state and since when, the last handshake (time and duration), the last authenticated
 * receive, bytes and packets each way, the fallback reason; and `disconnect(name)` /
 * `reconnect(name)` (virtual time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discover, echoingTunnel, roundTrip } from '../support/engine-flows.ts';
import { createPair, SERVER_ADDRESS } from '../support/engine-harness.ts';

describe('client sessions for embedders (virtual time)', () => {
  it('reports tunnel, state, handshake, liveness and traffic facts', async () => {
    const { pair, internal } = await echoingTunnel('hello');
    const [session] = pair.client.sessions();
    assert.ok(session);
    assert.match(session.tunnelId ?? '', /^[0-9a-f]{64}$/);
    assert.equal(session.tunnelId, pair.server.sessions()[0]!.id);
    assert.deepEqual(session.state, { established: 'up' });
    assert.ok(session.since <= pair.clock.now());
    assert.ok(session.lastHandshakeAt !== null && session.lastHandshakeAt <= pair.clock.now());
    assert.ok(
      session.lastHandshakeMs !== null && session.lastHandshakeMs >= 10,
      'one round trip at least',
    );
    assert.ok(session.lastAuthenticatedReceive !== null);
    assert.equal(session.packetsIn, 2, 'confirmation + echo');
    assert.equal(session.bytesIn, 28 + 'echo:hello'.length);
    assert.equal(session.bytesOut, 28 + 'hello'.length);
    assert.equal(session.fallbackReason, null);
    assert.equal(session.realAddress, SERVER_ADDRESS);
    assert.equal(session.internalAddress, internal);
    assert.doesNotMatch(JSON.stringify(session), /Root|secret|key":/i, 'no key material');
  });

  it('disconnect(name) drops the tunnel and its packets; reconnect(name) brings it back', async () => {
    const { pair, internal } = await echoingTunnel('one');
    const name = pair.client.sessions()[0]!.name;
    assert.equal(pair.client.disconnect('no.such.name'), false);
    assert.equal(pair.client.disconnect(name), true);
    assert.equal(pair.client.sessions()[0]!.state, 'disconnected');
    assert.equal(pair.client.sessions()[0]!.tunnelId, null);
    assert.equal(await roundTrip(pair, internal, 'dropped'), null);
    assert.ok(pair.client.counters.dropped('outbound: session not usable') >= 1);
    assert.equal(pair.client.reconnect(internal), true);
    await pair.clock.advance(100);
    assert.deepEqual(pair.client.sessions()[0]!.state, { established: 'up' });
    assert.equal(await roundTrip(pair, internal, 'two'), 'echo:two');
    assert.equal(pair.client.counters.get('handshakes sent'), 2);
  });

  it('reports the fallback reason', async () => {
    const pair = createPair('fast');
    pair.network.block(SERVER_ADDRESS, 42425);
    await discover(pair);
    await pair.clock.advance(30_000);
    const [session] = pair.client.sessions();
    assert.equal(session!.state, 'fallback');
    assert.match(
      session!.fallbackReason ?? '',
      /^static key download failed: key node 1\/0 unanswered after 4 attempts$/,
    );
  });
});
