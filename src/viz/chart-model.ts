/**
 * A machine graph as something to search: the leaf states a chart can be in, the
 * transitions each can take (its own, its ancestors' and the machine's any-state ones),
 * where a transition lands (a compound target enters its initial leaf), and a
 * breadth-first search that returns the transitions of a shortest path.
 *
 * The search over-approximates the chart: every transition may fire unless a caller
 * assumes a guard's value, so "no path reaches X" found here holds for the machine too.
 */
import type { GraphEdge, GraphNode, MachineGraph } from './graph.ts';

/** Guard values a search may assume; a guard not named here may be true or false. */
export type GuardAssumptions = Readonly<Record<string, boolean>>;

export interface SearchOptions {
  /** Only transitions this accepts are taken (default: all). */
  allow?: (edge: GraphEdge) => boolean;
  assume?: GuardAssumptions;
}

/** A path found: the transitions taken, in order, and the leaf reached. */
export interface FoundPath {
  edges: GraphEdge[];
  reached: string;
}

export class ChartModel {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly children = new Map<string, GraphNode[]>();

  constructor(readonly graph: MachineGraph) {
    for (const node of graph.nodes) {
      this.nodes.set(node.id, node);
      if (node.type === 'any') continue;
      const siblings = this.children.get(node.parent ?? graph.id) ?? [];
      siblings.push(node);
      this.children.set(node.parent ?? graph.id, siblings);
    }
  }

  node(id: string): GraphNode | undefined {
    return this.nodes.get(id);
  }

  /** The states a chart can rest in: atomic and final ones. */
  leaves(): GraphNode[] {
    return this.graph.nodes.filter((n) => n.type === 'atomic' || n.type === 'final');
  }

  /** Where the chart starts. */
  initialLeaves(): string[] {
    return this.enter(this.graph.id);
  }

  /** The leaves entering `id` rests in (a compound state enters its initial child). */
  enter(id: string): string[] {
    const kids = this.children.get(id);
    if (kids === undefined || kids.length === 0) return [id];
    const node = this.nodes.get(id);
    if (node?.type === 'parallel') return kids.flatMap((kid) => this.enter(kid.id));
    const initial = kids.filter((kid) => kid.initial);
    return (initial.length > 0 ? initial : kids.slice(0, 1)).flatMap((kid) => this.enter(kid.id));
  }

  /** The state and its ancestors, innermost first. */
  lineage(id: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (let node = this.nodes.get(id); node !== undefined; ) {
      out.push(node);
      node = node.parent === null ? undefined : this.nodes.get(node.parent);
    }
    return out;
  }

  /** Tags of a leaf, its ancestors' included (as XState's hasTag sees them). */
  tagsOf(id: string): Set<string> {
    return new Set(this.lineage(id).flatMap((node) => node.tags));
  }

  /** Actions run on entering `id` from outside: its own and its ancestors' entry actions. */
  entryActionsOf(id: string): Set<string> {
    return new Set(this.lineage(id).flatMap((node) => node.entry));
  }

  /**
   * The transitions a leaf may take, in document order per source and event, with the
   * assumed guards applied: after a transition that surely fires (no guard, or a guard
   * assumed true) the later alternatives for the same event are never reached, and a
   * transition whose guard is assumed false never fires.
   */
  transitionsFrom(leaf: string, assume: GuardAssumptions = {}): GraphEdge[] {
    const sources = new Set([...this.lineage(leaf).map((n) => n.id), this.graph.id]);
    const out: GraphEdge[] = [];
    const settled = new Set<string>();
    for (const edge of this.graph.edges) {
      if (!sources.has(edge.source)) continue;
      const group = `${edge.source} ${edge.event}`;
      if (settled.has(group)) continue;
      const assumed = edge.guard === null ? true : assume[edge.guard];
      if (assumed === false) continue;
      out.push(edge);
      if (assumed === true) settled.add(group);
    }
    return out;
  }

  /** Where a transition from `leaf` lands (a targetless one stays). */
  landing(edge: GraphEdge, leaf: string): string[] {
    return edge.targets.length === 0 ? [leaf] : edge.targets.flatMap((t) => this.enter(t));
  }

  /** A shortest path from any of `from` to a leaf `goal` accepts, or null when none. */
  search(
    from: readonly string[],
    goal: (leaf: string) => boolean,
    options: SearchOptions = {},
  ): FoundPath | null {
    const allow = options.allow ?? (() => true);
    const came = new Map<string, { previous: string; edge: GraphEdge } | null>();
    const queue: string[] = [];
    for (const leaf of from) {
      if (came.has(leaf)) continue;
      came.set(leaf, null);
      queue.push(leaf);
    }
    for (let at = 0; at < queue.length; at++) {
      const leaf = queue[at]!;
      if (goal(leaf)) return { edges: this.pathTo(leaf, came), reached: leaf };
      for (const edge of this.transitionsFrom(leaf, options.assume)) {
        if (!allow(edge)) continue;
        for (const next of this.landing(edge, leaf)) {
          if (came.has(next)) continue;
          came.set(next, { previous: leaf, edge });
          queue.push(next);
        }
      }
    }
    return null;
  }

  /** Every leaf reachable from `from` (all transitions allowed). */
  reachable(from: readonly string[]): Set<string> {
    const seen = new Set(from);
    const queue = [...from];
    for (let at = 0; at < queue.length; at++)
      for (const edge of this.transitionsFrom(queue[at]!))
        for (const next of this.landing(edge, queue[at]!))
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
    return seen;
  }

  private pathTo(
    leaf: string,
    came: Map<string, { previous: string; edge: GraphEdge } | null>,
  ): GraphEdge[] {
    const edges: GraphEdge[] = [];
    for (let step = came.get(leaf); step != null; step = came.get(step.previous))
      edges.unshift(step.edge);
    return edges;
  }
}
