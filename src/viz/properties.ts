/**
 * Safety properties of the protocol's state charts, each stated in words and checked by a
 * search over the chart (`pqconnect viz --check`, the tests and the auditors' page). A
 * property that fails comes with a counterexample: the transitions of a path that breaks
 * it, for the page to highlight. The search over-approximates the charts (chart-model.ts),
 * so a property that holds here holds for the machines that run.
 */
import type { EventOrigin } from '../actors/event-facts.ts';
import { ChartModel } from './chart-model.ts';
import type { GraphEdge, MachineGraph } from './graph.ts';

export interface Counterexample {
  words: string;
  /** Transition keys, in order (one: the transition at fault). */
  path: string[];
}

export interface PropertyVerdict {
  id: string;
  machine: string;
  words: string;
  holds: boolean;
  counterexample: Counterexample | null;
}

interface Property {
  id: string;
  machine: string;
  words: string;
  check(model: ChartModel): Counterexample | null;
}

/** Origins that an attacker on the path cannot produce at will. */
const NEEDS_MORE_THAN_THE_NETWORK: ReadonlySet<EventOrigin> = new Set([
  'timer',
  'key server',
  'operator',
]);

const TUNNEL_ERASERS: Readonly<Record<string, string>> = {
  clientSession: 'eraseTunnel',
  serverSession: 'eraseTunnelKeys',
};

function describePath(edges: readonly GraphEdge[], reached: string): string {
  const steps = edges.map((edge) => `${edge.label} → ${edge.targets.join(', ') || 'itself'}`);
  return `${steps.join('; ')} reaches ${reached}`;
}

/** The first transition `isWrong` finds, as a counterexample of one step. */
function firstWrong(
  model: ChartModel,
  isWrong: (edge: GraphEdge) => string | null,
): Counterexample | null {
  for (const edge of model.graph.edges) {
    const why = isWrong(edge);
    if (why !== null) return { words: why, path: [edge.key] };
  }
  return null;
}

/** Null when no leaf `goal` accepts is reachable from `from`; else the path to one. */
function unreachable(
  model: ChartModel,
  from: readonly string[],
  goal: (leaf: string) => boolean,
  options: Parameters<ChartModel['search']>[2],
): Counterexample | null {
  const found = model.search(from, goal, options);
  if (found === null) return null;
  return { words: describePath(found.edges, found.reached), path: found.edges.map((e) => e.key) };
}

function sessionProperties(machine: 'clientSession' | 'serverSession'): Property[] {
  const eraser = TUNNEL_ERASERS[machine]!;
  return [
    {
      id: 'final-states-erase-keys',
      machine,
      words: `Every way into a final state (closed, and on the server expired and offloaded) erases the tunnel keys (${eraser}) on the way or on entry.`,
      check: (model) =>
        firstWrong(model, (edge) => {
          const source =
            edge.source === model.graph.id ? model.leaves().map((l) => l.id) : [edge.source];
          for (const leaf of source.flatMap((s) => model.landing(edge, s))) {
            if (model.node(leaf)?.type !== 'final') continue;
            if (edge.actions.includes(eraser) || model.entryActionsOf(leaf).has(eraser)) continue;
            return `${edge.label} enters ${leaf} without ${eraser}`;
          }
          return null;
        }),
    },
  ];
}

const inFallback = (model: ChartModel) => (leaf: string) =>
  model.lineage(leaf).some((n) => n.id === 'clientSession.fallback');

const CLIENT_PROPERTIES: Property[] = [
  {
    id: 'no-fallback-from-the-network-alone',
    machine: 'clientSession',
    words:
      'No path leads from `established` to `fallback` on packets (authenticated or not), DNS answers, local events and the chart’s own steps alone: every such path needs a timer to run out, the key server to answer or fail, or an operator’s command.',
    check: (model) =>
      unreachable(model, model.enter('clientSession.established'), inFallback(model), {
        allow: (edge) => edge.origin === null || !NEEDS_MORE_THAN_THE_NETWORK.has(edge.origin),
      }),
  },
  {
    id: 'strict-never-falls-back',
    machine: 'clientSession',
    words: 'A strict session (guard `strict` true) never reaches `fallback`, by any path.',
    check: (model) =>
      unreachable(model, model.initialLeaves(), inFallback(model), {
        assume: { strict: true },
      }),
  },
  {
    id: 'seal-only-after-a-handshake-was-sent',
    machine: 'clientSession',
    words:
      'Every state tagged `seal` (packets leave sealed in the tunnel) is reached only after a handshake was sent (done: sendHandshake). Until then no authenticated packet can arrive: only a sent handshake makes a tunnel.',
    check: (model) =>
      unreachable(model, model.initialLeaves(), (leaf) => model.tagsOf(leaf).has('seal'), {
        allow: (edge) =>
          edge.eventKey !== 'done:sendHandshake' && edge.origin !== 'authenticated packet',
      }),
  },
  ...sessionProperties('clientSession'),
];

const SERVER_PROPERTIES: Property[] = [
  ...sessionProperties('serverSession'),
  {
    id: 'final-states-release-the-address',
    machine: 'serverSession',
    words:
      'Every final state gives the tunnel’s internal address back to the pool (releaseAddress).',
    check: (model) => {
      const keeping = model
        .leaves()
        .find(
          (leaf) => leaf.type === 'final' && !model.entryActionsOf(leaf.id).has('releaseAddress'),
        );
      return keeping === undefined ? null : { words: `${keeping.id} keeps its address`, path: [] };
    },
  },
];

/** Properties every chart must have. */
function everyChart(machine: string): Property[] {
  return [
    {
      id: 'timers-bounded',
      machine,
      words:
        'Every timer has a finite bound (a constant, or a dynamic delay with a declared longest wait).',
      check: (model) =>
        firstWrong(model, (edge) =>
          edge.delay !== null &&
          (edge.delayAtMostMs === null ||
            !Number.isFinite(edge.delayAtMostMs) ||
            edge.delayAtMostMs <= 0)
            ? `${edge.label} has no finite bound`
            : null,
        ),
    },
    {
      id: 'events-explained',
      machine,
      words:
        'Every event and actor outcome says, in words, what causes it and where it comes from.',
      check: (model) =>
        firstWrong(model, (edge) =>
          edge.origin === null || edge.words === '' ? `${edge.eventKey} is not described` : null,
        ),
    },
    {
      id: 'every-state-reachable',
      machine,
      words: 'Every state can be reached from the initial state.',
      check: (model) => {
        const seen = model.reachable(model.initialLeaves());
        const missing = model.leaves().find((leaf) => !seen.has(leaf.id));
        return missing === undefined ? null : { words: `${missing.id} is never reached`, path: [] };
      },
    },
    {
      id: 'no-dead-ends',
      machine,
      words: 'Every state that is not final has a way out.',
      check: (model) => {
        const stuck = model
          .leaves()
          .find(
            (leaf) =>
              leaf.type !== 'final' &&
              !model
                .transitionsFrom(leaf.id)
                .some((edge) => model.landing(edge, leaf.id).some((next) => next !== leaf.id)),
          );
        return stuck === undefined ? null : { words: `${stuck.id} has no way out`, path: [] };
      },
    },
  ];
}

/** The properties of one chart. */
export function propertiesOf(machine: string): Property[] {
  const specific =
    machine === 'clientSession'
      ? CLIENT_PROPERTIES
      : machine === 'serverSession'
        ? SERVER_PROPERTIES
        : [];
  return [...specific, ...everyChart(machine)];
}

/** Checks every property of every chart given. */
export function checkProperties(graphs: readonly MachineGraph[]): PropertyVerdict[] {
  return graphs.flatMap((graph) => {
    const model = new ChartModel(graph);
    return propertiesOf(graph.name).map(({ id, machine, words, check }) => {
      const counterexample = check(model);
      return { id, machine, words, holds: counterexample === null, counterexample };
    });
  });
}
