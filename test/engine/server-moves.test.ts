/**
 * A server whose DNS answer changes address (same pq1 key): the tunnel, the key server,
 * the session chart's context, status and any plain route all follow the new address,
 * and a plain route is removed exactly as it was added (virtual time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteRequest } from '../../src/engine/client-engine.ts';
import { discover, echoingTunnel, roundTrip } from '../support/engine-flows.ts';
import { createPair, SERVER_ADDRESS } from '../support/engine-harness.ts';

const NEW_ADDRESS = '198.51.100.77';

describe('a server that moves to another address', () => {
  it('carries the tunnel, the next key fetch, the chart and status to the new address', async () => {
    const { pair, internal } = await echoingTunnel('before');
    pair.network.rebind(SERVER_ADDRESS, 42424, NEW_ADDRESS, 42424);
    pair.network.rebind(SERVER_ADDRESS, 42425, NEW_ADDRESS, 42425);
    assert.equal(await discover(pair, { address: NEW_ADDRESS }), internal, 'same internal address');
    assert.ok(pair.clientLog.some((line) => line.endsWith(`real address now ${NEW_ADDRESS}`)));

    assert.equal(await roundTrip(pair, internal, 'moved'), 'echo:moved');
    const [session] = pair.client.sessions();
    assert.equal(session!.realAddress, NEW_ADDRESS);
    assert.equal(session!.endpoint, `${NEW_ADDRESS}:42424`);
    assert.equal(
      pair.client.sessionActor(internal)!.getSnapshot().context.realAddress,
      NEW_ADDRESS,
    );

    assert.ok(pair.client.reconnect(internal), 'a fresh handshake: ephemeral key fetched anew');
    await pair.clock.advance(2_000);
    assert.deepEqual(pair.client.sessions()[0]!.state, { established: 'up' });
    assert.equal(pair.client.counters.get('handshakes sent'), 2);
    assert.equal(await roundTrip(pair, internal, 'again'), 'echo:again');
  });

  it('moves a plain route with the server and removes the one it added', async () => {
    const pair = createPair('fast');
    const routes: RouteRequest[] = [];
    pair.client.routeRequests.subscribe((r) => routes.push(r));
    pair.network.block(SERVER_ADDRESS, 42425);
    const internal = await discover(pair);
    await pair.clock.advance(30_000);
    assert.equal(pair.client.sessions()[0]!.state, 'fallback');
    assert.deepEqual(routes.at(-1), {
      action: 'add',
      internalAddress: internal,
      plainAddress: SERVER_ADDRESS,
    });

    pair.network.rebind(SERVER_ADDRESS, 42424, NEW_ADDRESS, 42424);
    pair.network.rebind(SERVER_ADDRESS, 42425, NEW_ADDRESS, 42425);
    pair.network.unblock(SERVER_ADDRESS, 42425);
    const moved = routes.length;
    await discover(pair, { address: NEW_ADDRESS });
    assert.deepEqual(routes.slice(moved), [
      { action: 'remove', internalAddress: internal, plainAddress: SERVER_ADDRESS },
      { action: 'add', internalAddress: internal, plainAddress: NEW_ADDRESS },
    ]);

    const reconnected = routes.length;
    pair.client.reconnect(internal);
    await pair.clock.advance(5_000);
    assert.deepEqual(pair.client.sessions()[0]!.state, { established: 'up' });
    assert.deepEqual(routes.slice(reconnected), [
      { action: 'remove', internalAddress: internal, plainAddress: NEW_ADDRESS },
    ]);
  });
});
