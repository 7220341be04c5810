/**
 * Model-based paths run against the engine. xstate's graph utilities give the shortest
 * path to every reachable state of the client session machine and, for every edge, that
 * path plus the edge (for plain and strict sessions); each path is replayed on a real client engine talking to a real server
 * engine over the in-memory network, by putting the environment in the condition that
 * makes each event happen (key port or crypto port blocked or open, a `03 00` from the
 * server, traffic, time passing, the embedder's disconnect and reconnect) and checking that the engine's session actor reaches the
 * state the model predicts. Events the engine cannot produce (a rejected TXT lookup — it
 * falls back to default ports — and a failed handshake computation) are not on these paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyEventObject } from 'xstate';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { type ClientModelGuards, clientModel } from '../support/client-model.ts';
import { discover, stateOf } from '../support/engine-flows.ts';
import {
  CLIENT_ADDRESS,
  createPair,
  type Pair,
  SERVER_ADDRESS,
  udpPacket,
} from '../support/engine-harness.ts';

/**
 * The server's behaviour a model assumes, as the values of the chart's environment
 * guards: a healthy server (every edge is replayed), a tunnel left to die, and a server
 * that stops answering (only the liveness edges out of `established` are replayed).
 */
type Environment = 'healthy' | 'dead tunnel' | 'unresponsive server';
const GUARDS: Record<Environment, ClientModelGuards> = {
  healthy: { tunnelDead: () => false },
  'dead tunnel': { tunnelDead: () => true },
  'unresponsive server': {
    tunnelDead: () => false,
    peerUnresponsive: () => true,
    probeAnswered: () => false,
    noticeReconnectAllowed: () => true,
  },
};
const LIVENESS_EVENTS = new Set([
  'xstate.after.LIVENESS_TICK.clientSession.established.up',
  'xstate.after.PROBE_TIMEOUT.clientSession.established.probing',
]);

/** The events the environment can make happen, and how. */
const DRIVABLE: AnyEventObject[] = [
  { type: 'HANDSHAKE_CONFIRMED' },
  { type: 'EPOCH_ADVANCED', sendEpoch: 1, receiveEpoch: 1 },
  { type: 'TRAFFIC_WAITING' },
  { type: 'FAILURE_NOTICE' },
  { type: 'DISCONNECT' },
  { type: 'RECONNECT' },
  { type: 'xstate.done.actor.staticKeyDownload', output: { complete: true, error: null } },
  { type: 'xstate.done.actor.staticKeyDownload', output: { complete: false, error: 'lost' } },
  { type: 'xstate.done.actor.fetchEphemeralKey' },
  { type: 'xstate.error.actor.fetchEphemeralKey', error: 'no answer' },
  { type: 'xstate.done.actor.sendHandshake' },
  { type: 'xstate.after.HANDSHAKE_TIMEOUT.clientSession.handshaking' },
  { type: 'xstate.after.LIVENESS_TICK.clientSession.established.up' },
  { type: 'xstate.after.PROBE_TIMEOUT.clientSession.established.probing' },
  { type: 'xstate.after.RETRY_BACKOFF.clientSession.fallback' },
  { type: 'xstate.after.RETRY_BACKOFF.clientSession.failed' },
];

const KEY_PORT = 42425;
const CRYPTO_PORT = 42424;

function send(pair: Pair, internal: string): void {
  pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, new Uint8Array([1])));
}

/** Sets the environment so that `event` happens next, and lets it happen. */
async function drive(
  pair: Pair,
  internal: string,
  event: AnyEventObject,
  environment: Environment,
): Promise<void> {
  const { network } = pair;
  if (environment === 'unresponsive server' && event.type !== 'HANDSHAKE_CONFIRMED')
    network.block(SERVER_ADDRESS, CRYPTO_PORT);
  if (environment === 'dead tunnel' && LIVENESS_EVENTS.has(event.type)) {
    await pair.clock.advance(250_000);
    return;
  }
  switch (event.type) {
    case 'xstate.done.actor.staticKeyDownload':
      if ((event.output as { complete: boolean }).complete)
        network.unblock(SERVER_ADDRESS, KEY_PORT);
      else network.block(SERVER_ADDRESS, KEY_PORT);
      return;
    case 'xstate.done.actor.fetchEphemeralKey':
      network.unblock(SERVER_ADDRESS, KEY_PORT);
      network.block(SERVER_ADDRESS, CRYPTO_PORT);
      return;
    case 'xstate.error.actor.fetchEphemeralKey':
      network.block(SERVER_ADDRESS, KEY_PORT);
      return;
    case 'xstate.done.actor.sendHandshake':
      return;
    case 'xstate.after.HANDSHAKE_TIMEOUT.clientSession.handshaking':
      network.block(SERVER_ADDRESS, CRYPTO_PORT);
      return;
    case 'HANDSHAKE_CONFIRMED':
      network.unblock(SERVER_ADDRESS, CRYPTO_PORT);
      return;
    case 'FAILURE_NOTICE':
      pair.serverCrypto.send(new Uint8Array([3, 0]), CLIENT_ADDRESS, 42423);
      return;
    case 'DISCONNECT':
      assert.ok(pair.client.disconnect(internal));
      return;
    case 'RECONNECT':
      network.unblock(SERVER_ADDRESS, KEY_PORT);
      network.unblock(SERVER_ADDRESS, CRYPTO_PORT);
      assert.ok(pair.client.reconnect(internal));
      return;
    case 'EPOCH_ADVANCED':
      await pair.clock.advance(31_000);
      send(pair, internal);
      return;
    case 'xstate.after.LIVENESS_TICK.clientSession.established.up':
      send(pair, internal);
      return;
    case 'xstate.after.PROBE_TIMEOUT.clientSession.established.probing':
      return;
    case 'TRAFFIC_WAITING':
      network.unblock(SERVER_ADDRESS, KEY_PORT);
      network.unblock(SERVER_ADDRESS, CRYPTO_PORT);
      send(pair, internal);
      return;
    case 'xstate.after.RETRY_BACKOFF.clientSession.fallback':
    case 'xstate.after.RETRY_BACKOFF.clientSession.failed':
      return;
    default:
      throw new Error(`no way to drive ${event.type}`);
  }
}

/**
 * The engine's session passes through states, some of them only for an instant (e.g.
 * handshaking.sending while the handshake is computed): a step is reached when the state
 * appears in the session's transitions since the previous step.
 */
class History {
  private readonly states: string[] = [];
  private cursor = 0;

  constructor(pair: Pair) {
    pair.client.events.transitions.subscribe((t) => {
      if (t.machine === 'clientSession') this.states.push(JSON.stringify(t.state));
    });
  }

  async reach(pair: Pair, internal: string, expected: unknown, limitMs: number): Promise<void> {
    const target = JSON.stringify(expected);
    for (let waited = 0; waited <= limitMs; waited += 100) {
      const found = this.states.indexOf(target, this.cursor);
      if (found >= 0) {
        this.cursor = found;
        return;
      }
      await pair.clock.advance(100);
    }
    assert.fail(
      `engine session went ${this.states.slice(this.cursor).join(' → ')}; model expects ${target} (now ${JSON.stringify(stateOf(pair, internal))})`,
    );
  }
}

for (const [environment, strict] of [
  ['healthy', false],
  ['healthy', true],
  ['dead tunnel', false],
  ['unresponsive server', false],
] as const) {
  describe(`model paths against the engine (${environment}, ${strict ? 'strict' : 'plain fallback allowed'})`, () => {
    const model = clientModel(GUARDS[environment]);
    const input = {
      name: 'pq1',
      realAddress: SERVER_ADDRESS,
      internalAddress: '10.43.0.2',
      strict,
      hasPorts: true,
      hasStaticKey: false,
    };
    const serialize = (s: {
      value: unknown;
      status: string;
      context: { handshakeAttempts: number; hasStaticKey: boolean };
    }) => JSON.stringify([s.value, s.status, s.context.handshakeAttempts, s.context.hasStaticKey]);
    const options = {
      input,
      events: DRIVABLE as never,
      serializeState: serialize as never,
      filterEvents: ((
        snapshot: { status: string; can(e: AnyEventObject): boolean },
        event: AnyEventObject,
      ) => snapshot.status === 'active' && snapshot.can(event)) as never,
    };
    const shortest = getShortestPaths(model, options);
    const byState = new Map(shortest.map((p) => [serialize(p.state as never), p]));
    const edgePaths = adjacencyMapToArray(getAdjacencyMap(model, options)).map((edge) => {
      const prefix = byState.get(serialize(edge.state as never))!;
      return {
        state: edge.nextState,
        steps: [...prefix.steps, { event: edge.event, state: edge.nextState }],
      };
    });
    const seen = new Set<string>();
    const candidates =
      environment === 'healthy'
        ? [...shortest, ...edgePaths]
        : edgePaths.filter((p) => LIVENESS_EVENTS.has(p.steps.at(-1)!.event.type));
    const paths = candidates.filter((p) => {
      const key = JSON.stringify(
        p.steps.map((s) => [s.event.type, (s.event as AnyEventObject).output]),
      );
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });

    it('has a path to every state the engine can reach', () => {
      const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
      const expected =
        environment === 'dead tunnel'
          ? ['"expired"']
          : environment === 'unresponsive server'
            ? ['"fetchingEphemeralKey"']
            : strict
              ? [
                  '"fetchingStaticKey"',
                  '"fetchingEphemeralKey"',
                  '{"established":"up"}',
                  '{"established":"probing"}',
                  '"failed"',
                  '"disconnected"',
                ]
              : [
                  '"fetchingStaticKey"',
                  '"fetchingEphemeralKey"',
                  '{"established":"up"}',
                  '{"established":"probing"}',
                  '"fallback"',
                  '"disconnected"',
                ];
      for (const state of expected) assert.ok(reached.has(state), state);
    });

    for (const path of paths) {
      const events = path.steps
        .map((s) => s.event as AnyEventObject)
        .filter((e) => !e.type.startsWith('xstate.init'));
      const name =
        events
          .map((e) =>
            e.type
              .replace(/^xstate\.(done|error|after)\.(actor\.)?/, '$1:')
              .replace(/\.clientSession.*/, ''),
          )
          .join(' → ') || '(start)';
      it(`${JSON.stringify(path.state.value)} via ${name}`, async () => {
        const pair = createPair('fast', { client: { strict, initialBackoffMs: 20_000 } });
        pair.network.block(SERVER_ADDRESS, KEY_PORT);
        pair.network.block(SERVER_ADDRESS, CRYPTO_PORT);
        const first = events[0];
        if (
          first === undefined ||
          first.type !== 'xstate.done.actor.staticKeyDownload' ||
          (first.output as { complete: boolean }).complete
        ) {
          pair.network.unblock(SERVER_ADDRESS, KEY_PORT);
        }
        const history = new History(pair);
        const internal = await discover(pair);
        await history.reach(pair, internal, path.steps[0]!.state.value, 1_000);
        for (const step of path.steps.slice(1)) {
          await drive(pair, internal, step.event as AnyEventObject, environment);
          await history.reach(pair, internal, step.state.value, 200_000);
        }
      });
    }
  });
}
