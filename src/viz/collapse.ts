/**
 * Charts with some compound states collapsed into single boxes, so a wide machine still
 * fits a window with its labels at full size: a collapsed state's children are hidden,
 * transitions to or from them are drawn to or from its box (keeping their keys, so
 * coverage and replay still find them), and transitions wholly inside it are left out.
 * A machine's variants are every consistent choice of expanded states (a state expanded
 * only inside expanded parents), or just "all" and "none" when there are many.
 */
import type { MachineGraph } from './graph.ts';
import type { Layout } from './layout.ts';

export interface CollapsedGraph {
  graph: MachineGraph;
  /** Every collapsed state with the hidden states inside it. */
  members: Map<string, string[]>;
}

/** A machine drawn with the compound states `expanded` open and the others collapsed. */
export interface ChartVariant extends CollapsedGraph {
  expanded: string[];
  layout: Layout;
}

/** A machine's full graph and its drawings, the first with every state open. */
export interface LaidOutMachine {
  graph: MachineGraph;
  variants: ChartVariant[];
}

/** Up to this many compound states, every combination is laid out. */
const ALL_COMBINATIONS_UP_TO = 3;

export function compoundStates(graph: MachineGraph): string[] {
  const parents = new Set(graph.nodes.map((n) => n.parent).filter((p) => p !== null));
  return graph.nodes.filter((n) => parents.has(n.id)).map((n) => n.id);
}

function parentOf(graph: MachineGraph, id: string): string | null {
  return graph.nodes.find((n) => n.id === id)?.parent ?? null;
}

/** The outermost collapsed state containing `id`, or `id` itself when it is shown. */
function shownAs(graph: MachineGraph, id: string, collapsed: ReadonlySet<string>): string {
  let shown = id;
  for (let up = parentOf(graph, id); up !== null; up = parentOf(graph, up))
    if (collapsed.has(up)) shown = up;
  return shown;
}

export function collapseGraph(graph: MachineGraph, expanded: ReadonlySet<string>): CollapsedGraph {
  const collapsed = new Set(compoundStates(graph).filter((id) => !expanded.has(id)));
  const members = new Map<string, string[]>();
  const nodes = graph.nodes.filter((node) => {
    const shown = shownAs(graph, node.id, collapsed);
    if (shown === node.id) return true;
    members.set(shown, [...(members.get(shown) ?? []), node.id]);
    return false;
  });
  const edges = graph.edges.flatMap((edge) => {
    const source = shownAs(graph, edge.source, collapsed);
    const targets = edge.targets.map((t) => shownAs(graph, t, collapsed));
    const inside =
      source !== edge.source && targets.length > 0 && targets.every((t) => t === source);
    return inside ? [] : [{ ...edge, source, targets: [...new Set(targets)] }];
  });
  return { graph: { ...graph, nodes, edges }, members };
}

/** The sets of expanded states a machine is drawn with, most expanded first. */
export function expansionChoices(graph: MachineGraph): string[][] {
  const compounds = compoundStates(graph);
  if (compounds.length > ALL_COMBINATIONS_UP_TO) return [compounds, []];
  const choices: string[][] = [];
  for (let mask = (1 << compounds.length) - 1; mask >= 0; mask--) {
    const chosen = compounds.filter((_, i) => (mask >> i) & 1);
    const consistent = chosen.every((id) => {
      const parent = parentOf(graph, id);
      return parent === null || !compounds.includes(parent) || chosen.includes(parent);
    });
    if (consistent) choices.push(chosen);
  }
  return choices.sort((a, b) => b.length - a.length);
}
