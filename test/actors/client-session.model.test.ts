/**
 * Model-based test of the client session machine. xstate's graph utilities enumerate
 * every reachable state and every (state, event) edge for each combination of inputs
 * (ports known, static key cached, strict) and environment (tunnel alive or dead); each
 * edge becomes a path (shortest path to its source + the event), which is replayed on a
 * live actor of the machine. The live actor must end where the model says, and together
 * the paths must exercise every transition of the definition, including guarded
 * branches and eventless ones.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type AnyEventObject,
  type AnyStateNode,
  createActor,
  fromPromise,
  type InspectionEvent,
} from 'xstate';
import {
  adjacencyMapToArray,
  getAdjacencyMap,
  getShortestPaths,
  getStateNodes,
} from 'xstate/graph';
import { clientSessionMachine } from '../../src/actors/client-session.ts';
import { staticKeyDownloadMachine } from '../../src/actors/static-key-download.ts';

/** Where the exercised transitions are written, for `pqconnect viz --coverage`. */
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

const NEVER = fromPromise(() => new Promise<void>(() => {}));
const NEVER_LEVEL = fromPromise<void, { depth: number }>(() => new Promise<void>(() => {}));

function modelMachine(tunnelDead: boolean) {
  return clientSessionMachine.provide({
    actors: {
      resolvePorts: NEVER,
      fetchEphemeralKey: NEVER,
      sendHandshake: NEVER,
      staticKeyDownload: staticKeyDownloadMachine.provide({
        actors: { transferLevel: NEVER_LEVEL },
      }),
    },
    guards: { tunnelDead: () => tunnelDead },
  });
}

const EVENTS: AnyEventObject[] = [
  { type: 'HANDSHAKE_CONFIRMED' },
  { type: 'EPOCH_ADVANCED', sendEpoch: 1, receiveEpoch: 1 },
  { type: 'TRAFFIC_WAITING' },
  { type: 'PEER_FAILED' },
  { type: 'CLOSE', reason: 'model' },
  { type: 'xstate.done.actor.resolvePorts' },
  { type: 'xstate.error.actor.resolvePorts', error: 'no answer' },
  { type: 'xstate.done.actor.staticKeyDownload', output: { complete: true, error: null } },
  { type: 'xstate.done.actor.staticKeyDownload', output: { complete: false, error: 'lost' } },
  { type: 'xstate.done.actor.fetchEphemeralKey' },
  { type: 'xstate.error.actor.fetchEphemeralKey', error: 'no answer' },
  { type: 'xstate.done.actor.sendHandshake' },
  { type: 'xstate.error.actor.sendHandshake', error: 'failed' },
  { type: 'xstate.after.HANDSHAKE_TIMEOUT.clientSession.handshaking' },
  { type: 'xstate.after.HANDSHAKE_RESEND.clientSession.handshaking.awaitingConfirmation' },
  { type: 'xstate.after.MAINTENANCE_TICK.clientSession.established' },
  { type: 'xstate.after.RETRY_BACKOFF.clientSession.fallback' },
  { type: 'xstate.after.RETRY_BACKOFF.clientSession.failed' },
];

interface Snapshot {
  value: unknown;
  context: { handshakeAttempts: number; hasPorts: boolean; hasStaticKey: boolean };
  status: string;
}

const serializeState = (s: Snapshot) =>
  JSON.stringify([
    s.value,
    s.context.handshakeAttempts,
    s.context.hasPorts,
    s.context.hasStaticKey,
    s.status,
  ]);

function transitionKey(t: { source: AnyStateNode; eventType: string }, index: number): string {
  return `${t.source.id} --${t.eventType}#${index}`;
}

function allTransitions(): Set<string> {
  const keys = new Set<string>();
  for (const node of [clientSessionMachine.root, ...getStateNodes(clientSessionMachine.root)]) {
    for (const list of [...node.transitions.values(), node.always ?? []]) {
      for (const [i, t] of list.entries()) keys.add(transitionKey(t, i));
    }
  }
  return keys;
}

function takenKey(t: { source: AnyStateNode; eventType: string }): string {
  const list =
    t.eventType === '' ? (t.source.always ?? []) : (t.source.transitions.get(t.eventType) ?? []);
  return transitionKey(t, list.indexOf(t as never));
}

describe('client session machine, model-based', () => {
  it('every transition of the definition is exercised by generated paths, and live actors agree', () => {
    const covered = new Set<string>();
    let paths = 0;
    for (const hasPorts of [true, false]) {
      for (const hasStaticKey of [true, false]) {
        for (const strict of [true, false]) {
          for (const tunnelDead of [true, false]) {
            const machine = modelMachine(tunnelDead);
            const input = {
              name: 'pq1model.test',
              realAddress: '198.51.100.1',
              internalAddress: '10.43.0.2',
              strict,
              hasPorts,
              hasStaticKey,
            };
            const options = {
              input,
              events: EVENTS,
              serializeState: serializeState as never,
              filterEvents: (
                snapshot: { status: string; can(event: AnyEventObject): boolean },
                event: AnyEventObject,
              ) => snapshot.status === 'active' && snapshot.can(event),
            } as never;
            const shortest = new Map(
              getShortestPaths(machine, options).map((p) => [serializeState(p.state as never), p]),
            );
            for (const edge of adjacencyMapToArray(getAdjacencyMap(machine, options))) {
              const prefix = shortest.get(serializeState(edge.state as never));
              assert.ok(prefix, 'every source state has a shortest path');
              const events = [...prefix.steps.map((s) => s.event), edge.event].filter(
                (e) => !e.type.startsWith('xstate.init'),
              );
              const actor = createActor(machine, {
                input,
                inspect: (event: InspectionEvent) => {
                  if (
                    event.type === '@xstate.microstep' &&
                    event.rootId === event.actorRef.sessionId
                  ) {
                    for (const t of event._transitions) covered.add(takenKey(t as never));
                  }
                },
              });
              actor.start();
              for (const event of events) actor.send(event as never);
              assert.deepEqual(
                actor.getSnapshot().value,
                (edge.nextState as Snapshot).value,
                JSON.stringify(events.map((e) => e.type)),
              );
              actor.stop();
              paths++;
            }
          }
        }
      }
    }
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(
      join(OUTPUT, 'model-coverage.json'),
      `${JSON.stringify({ clientSession: [...covered].sort() }, null, 2)}\n`,
    );
    const missing = [...allTransitions()].filter((key) => !covered.has(key));
    assert.deepEqual(missing, [], `transitions never exercised (${paths} paths run)`);
    assert.ok(paths > 50, `${paths} paths`);
  });
});
