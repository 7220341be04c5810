/**
 * Model-based transition coverage for any machine: for each variant (a machine with its
 * guard environment, and an input), xstate's graph utilities give every reachable state
 * and every (state, event) edge; each edge becomes a path (shortest path to its source +
 * the event) that is replayed on a live actor, which must end where the model says. The
 * transitions the live actors took (XState inspection, microsteps) are collected, so the
 * caller can check that every transition of the definition was exercised.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AnyEventObject,
  type AnyStateMachine,
  type AnyStateNode,
  createActor,
  type InspectionEvent,
} from 'xstate';
import {
  adjacencyMapToArray,
  getAdjacencyMap,
  getShortestPaths,
  getStateNodes,
} from 'xstate/graph';
import { transitionKey } from '../../src/viz/graph.ts';

export interface Variant {
  machine: AnyStateMachine;
  input?: unknown;
}

export interface CoverageResult {
  covered: Set<string>;
  all: Set<string>;
  paths: number;
}

/** Every transition of a machine's definition, keyed as the visualizer keys them. */
export function allTransitions(machine: AnyStateMachine): Set<string> {
  const keys = new Set<string>();
  for (const node of [machine.root, ...getStateNodes(machine.root)]) {
    for (const [eventType, list] of [
      ...node.transitions.entries(),
      ['', node.always ?? []] as const,
    ]) {
      for (const index of list.keys()) keys.add(transitionKey(node.id, eventType, index));
    }
  }
  return keys;
}

function takenKey(t: { source: AnyStateNode; eventType: string }): string {
  const list =
    t.eventType === '' ? (t.source.always ?? []) : (t.source.transitions.get(t.eventType) ?? []);
  return transitionKey(t.source.id, t.eventType, list.indexOf(t as never));
}

export function exerciseModel(
  variants: readonly Variant[],
  events: readonly AnyEventObject[],
  serializeState: (snapshot: never) => string,
): CoverageResult {
  const covered = new Set<string>();
  let paths = 0;
  for (const { machine, input } of variants) {
    const options = {
      input,
      events,
      serializeState,
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
      const steps = [...prefix.steps.map((s) => s.event), edge.event].filter(
        (e) => !e.type.startsWith('xstate.init'),
      );
      const actor = createActor(machine, {
        input,
        inspect: (event: InspectionEvent) => {
          if (event.type === '@xstate.microstep' && event.rootId === event.actorRef.sessionId) {
            for (const t of event._transitions) covered.add(takenKey(t as never));
          }
        },
      });
      actor.start();
      for (const event of steps) actor.send(event as never);
      assert.deepEqual(
        actor.getSnapshot().value,
        (edge.nextState as { value: unknown }).value,
        JSON.stringify(steps.map((e) => e.type)),
      );
      actor.stop();
      paths++;
    }
  }
  return { covered, all: allTransitions(variants[0]!.machine), paths };
}

/** Where the exercised transitions are written, for `pqconnect viz --coverage`. */
export const COVERAGE_FILE = fileURLToPath(
  new URL('../../test-output/model-coverage.json', import.meta.url),
);

/** Adds one machine's exercised transitions to the coverage file. */
export function recordCoverage(machineName: string, covered: Set<string>): void {
  mkdirSync(join(COVERAGE_FILE, '..'), { recursive: true });
  let existing: Record<string, string[]> = {};
  try {
    existing = JSON.parse(readFileSync(COVERAGE_FILE, 'utf8'));
  } catch {
    existing = {};
  }
  existing[machineName] = [...covered].sort();
  writeFileSync(COVERAGE_FILE, `${JSON.stringify(existing, null, 2)}\n`);
}
