/**
 * A machine definition as a plain graph for auditors: nested state nodes and labelled
 * transitions (event, guard, actions, timer value), each with the protocol.md sections
 * its description cites. Transition keys match the model-based tests' coverage keys.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { EventCatalogue, EventOrigin } from '../actors/event-facts.ts';
import { DYNAMIC_DELAYS } from './machines.ts';

export interface GraphNode {
  id: string;
  key: string;
  parent: string | null;
  type: string;
  initial: boolean;
  description: string;
  tags: string[];
  entry: string[];
  exit: string[];
  invokes: string[];
  sections: string[];
}

export interface GraphEdge {
  key: string;
  source: string;
  targets: string[];
  event: string;
  label: string;
  guard: string | null;
  actions: string[];
  delay: string | null;
  /** The longest the timer runs (ms), for `after` transitions; null when unknown. */
  delayAtMostMs: number | null;
  /** The event as the machine's catalogue names it (`done:fetchEphemeralKey`, …). */
  eventKey: string;
  /** What causes it, from the catalogue (null: the catalogue does not say). */
  origin: EventOrigin | null;
  words: string;
}

export interface MachineGraph {
  name: string;
  title: string;
  id: string;
  description: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A citation of docs/protocol.md in a description: "protocol.md §2/§4", "§2 and §4". */
const SECTION = /protocol\.md ((?:§\d+(?:\/§?\d+)*)(?:\s*(?:and|,)\s*§\d+)*)/g;

function sectionsOf(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(SECTION)) {
    for (const number of match[1]!.matchAll(/\d+/g)) found.add(`§${number[0]}`);
  }
  return [...found];
}

function actionNames(actions: readonly unknown[]): string[] {
  return actions
    .map((a) => (typeof a === 'string' ? a : ((a as { type?: string } | null)?.type ?? '')))
    .filter((name) => name !== '' && !name.startsWith('xstate.'));
}

function describeDelay(
  machine: AnyStateMachine,
  name: string,
): { text: string; atMostMs: number | null } {
  const value = (machine.implementations.delays as Record<string, unknown>)[name];
  if (typeof value === 'number')
    return { text: value >= 1000 ? `${value / 1000} s` : `${value} ms`, atMostMs: value };
  const dynamic = DYNAMIC_DELAYS[name];
  return dynamic === undefined
    ? { text: 'dynamic', atMostMs: null }
    : { text: dynamic.words, atMostMs: dynamic.atMostMs };
}

/** How a machine's event catalogue names an XState event type ('' = eventless). */
export function eventKey(eventType: string): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after:${after[1]}`;
  const outcome = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (outcome) return `${outcome[1]}:${outcome[2]}`;
  return eventType;
}

function labelOf(eventType: string, delay: string | null): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]} (${delay})`;
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done: ${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `error: ${error[1]}`;
  return eventType;
}

function allNodes(root: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [root];
  for (const child of Object.values(root.states) as AnyStateNode[]) out.push(...allNodes(child));
  return out;
}

/** The coverage key of the index-th transition of `source` for `eventType` ('' = always). */
export function transitionKey(sourceId: string, eventType: string, index: number): string {
  return `${sourceId} --${eventType}#${index}`;
}

export function machineGraph(
  name: string,
  title: string,
  machine: AnyStateMachine,
  events: EventCatalogue = {},
): MachineGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const rootTransitions = machine.root.transitions.size + (machine.root.always?.length ?? 0);
  if (rootTransitions > 0) {
    nodes.push({
      id: machine.root.id,
      key: '(any state)',
      parent: null,
      type: 'any',
      initial: false,
      description: 'Transitions taken from whatever state the machine is in',
      tags: [],
      entry: [],
      exit: [],
      invokes: [],
      sections: [],
    });
  }
  for (const node of allNodes(machine.root)) {
    if (node !== machine.root) {
      const parent = node.parent as AnyStateNode;
      const initialTargets = parent.initial?.target ?? [];
      nodes.push({
        id: node.id,
        key: node.key,
        parent: parent === machine.root ? null : parent.id,
        type: node.type,
        initial: initialTargets.some((t: AnyStateNode) => t === node),
        description: node.description ?? '',
        tags: [...node.tags],
        entry: actionNames(node.entry),
        exit: actionNames(node.exit),
        invokes: node.invoke.map((i: { src: unknown; id: string }) =>
          typeof i.src === 'string' ? i.src : i.id,
        ),
        sections: sectionsOf(node.description ?? ''),
      });
    }
    const lists: [string, readonly unknown[]][] = [
      ...node.transitions.entries(),
      ['', node.always ?? []],
    ];
    for (const [eventType, transitions] of lists) {
      (
        transitions as {
          target?: AnyStateNode[];
          guard?: unknown;
          actions: unknown[];
          delay?: unknown;
        }[]
      ).forEach((t, index) => {
        const delayName = typeof t.delay === 'string' ? t.delay : null;
        const delay = delayName === null ? null : describeDelay(machine, delayName);
        const key = eventKey(eventType);
        const facts = events[key];
        const guard =
          t.guard === undefined
            ? null
            : typeof t.guard === 'string'
              ? t.guard
              : ((t.guard as { type?: string }).type ?? 'guard');
        edges.push({
          key: transitionKey(node.id, eventType, index),
          source: node.id,
          targets: (t.target ?? []).map((target) => target.id),
          event: eventType,
          label: labelOf(eventType, delay?.text ?? null),
          guard,
          actions: actionNames(t.actions),
          delay: delay?.text ?? null,
          delayAtMostMs: delay?.atMostMs ?? null,
          eventKey: key,
          origin: facts?.origin ?? null,
          words: facts?.words ?? '',
        });
      });
    }
  }
  return { name, title, id: machine.id, description: machine.root.description ?? '', nodes, edges };
}
