/**
 * A server session's chart rests between events (no actor, no timer) and is restored into
 * `established` by the next one: what the chart recorded survives the rests, the
 * transitions it takes are still published once each, and the sweep still ends an idle
 * tunnel (virtual time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import {
  initialServerSessionContext,
  serverSessionMachine,
} from '../../src/actors/server-session.ts';
import type { SessionTransition } from '../../src/engine/session-events.ts';
import { discover, roundTrip } from '../support/engine-flows.ts';
import { CLIENT_ADDRESS, createPair, echoOnServer } from '../support/engine-harness.ts';

describe('server sessions rest between events (virtual time)', () => {
  it('resting from the start is what the chart does: established, nothing on entry, no timer', () => {
    const input = { peer: '192.0.2.1:42423', internalAddress: '10.42.0.2', epoch: 3 };
    const actor = createActor(serverSessionMachine, { input }).start();
    const snapshot = actor.getSnapshot();
    actor.stop();
    assert.equal(snapshot.value, 'established');
    assert.deepEqual(snapshot.context, initialServerSessionContext(input));
    const { root } = serverSessionMachine;
    const established = root.states.established!;
    assert.deepEqual(root.entry, [], 'the chart runs something on entry: a new session must start');
    assert.deepEqual(established.entry, []);
    assert.deepEqual(established.after, [], 'a timer in established: resting sessions miss it');
    assert.deepEqual(established.always ?? [], []);
  });

  it('keeps what the chart recorded across rests and publishes each transition once', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const transitions: SessionTransition[] = [];
    pair.server.events.transitions.subscribe((t) => transitions.push(t));
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'first'), 'echo:first');
    pair.network.rebind(CLIENT_ADDRESS, 42423, '203.0.113.9', 50000);
    assert.equal(await roundTrip(pair, internal, 'second'), 'echo:second');
    pair.network.rebind('203.0.113.9', 50000, '203.0.113.10', 50001);
    assert.equal(await roundTrip(pair, internal, 'third'), 'echo:third');
    await pair.clock.advance(31_000);
    assert.equal(await roundTrip(pair, internal, 'fourth'), 'echo:fourth');

    const states = transitions.map((t) => t.state);
    assert.deepEqual(states.slice(0, 3), ['established', 'rekeying', 'established'], `${states}`);
    const rekey = transitions.find((t) => t.state === 'rekeying');
    assert.equal(rekey?.event, 'EPOCH_ADVANCED');
    assert.equal(rekey?.context.roams, 2, 'roams recorded before the rests are kept');
    assert.equal(rekey?.context.peer, '203.0.113.10:50001');
    assert.equal(pair.server.sessions()[0]?.state, 'established');
    assert.equal(pair.server.sessions()[0]?.peer, '203.0.113.10:50001');
  });

  it('a resting session still closes: shutdown erases it through its chart', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const transitions: SessionTransition[] = [];
    pair.server.events.transitions.subscribe((t) => transitions.push(t));
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'up'), 'echo:up');
    pair.server.close();
    assert.deepEqual(
      transitions.map((t) => [t.state, t.event]),
      [
        ['established', 'xstate.init'],
        ['closed', 'CLOSE'],
      ],
    );
    assert.equal(pair.server.sessions().length, 0);
  });
});
