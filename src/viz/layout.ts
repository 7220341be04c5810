/**
 * Layout of a machine graph: states and edge routes by ELK (elkjs, layered algorithm,
 * nested states laid out inside their parents), labels on their lines by our own
 * placement, computed when the page is written, so the page needs no layout code of its
 * own. Positions are absolute; edges are polylines with label boxes of one to three lines.
 */
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { MachineGraph } from './graph.ts';
import { type Align, placeLabels } from './label-placement.ts';
import { type Box, closestPoints, type Point } from './layout-geometry.ts';

export type { Box, Point } from './layout-geometry.ts';

export interface LaidOutNode extends Box {
  id: string;
  compound: boolean;
}

export interface LaidOutEdge {
  id: string;
  key: string;
  source: string;
  target: string;
  points: { x: number; y: number }[];
  label: (Box & { text: string; lines: string[]; align: Align }) | null;
  /** A line from the label to its edge, when no spot on the line was free. */
  leader: Leader | null;
}

export interface Leader {
  from: Point;
  to: Point;
}

/** A label this close to its edge (px) needs no leader. */
export const LEADER_MIN = 3;

/** The leader from a label box to the nearest point of its edge's polyline, or null when
 * the box is within LEADER_MIN of it. */
export function labelLeader(box: Box, points: readonly Point[]): Leader | null {
  let best: Leader | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 1; i < points.length; i++) {
    const pair = closestPoints(box, points[i - 1]!, points[i]!);
    const distance = Math.hypot(pair.from.x - pair.to.x, pair.from.y - pair.to.y);
    if (distance < bestDistance) {
      best = pair;
      bestDistance = distance;
    }
  }
  return bestDistance <= LEADER_MIN ? null : best;
}

/** A UML initial pseudo-state: a dot in `parent` (null: the machine) whose arrow points
 * at the state the parent starts in. */
export interface InitialMarker extends Box {
  parent: string | null;
  target: string;
  points: { x: number; y: number }[];
}

export interface Layout {
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  initials: InitialMarker[];
}

const MARKER_PREFIX = 'initial:';
const MARKER_SIZE = 14;

const CHAR_WIDTH = 6.6;
/** The height of one line of an edge label (px). */
export const LABEL_LINE = 14;

function textWidth(text: string): number {
  return Math.ceil(text.length * CHAR_WIDTH) + 12;
}

function labelSize(lines: readonly string[]): { width: number; height: number } {
  return { width: Math.max(...lines.map(textWidth)), height: lines.length * LABEL_LINE };
}

interface LabelFacts {
  label: string;
  guard: string | null;
  actions: string[];
}

function labelParts(edge: LabelFacts): string[] {
  return [
    edge.label,
    edge.guard ? `[${edge.guard}]` : '',
    edge.actions.length > 0 ? `/ ${edge.actions.join(', ')}` : '',
  ].filter(Boolean);
}

export function edgeLabelText(edge: LabelFacts): string {
  return labelParts(edge).join(' ');
}

/** A label as drawn: the event on the first line, guard and actions after it, on one
 * more line when they are short together. */
const SHORT_REST = 36;
export function edgeLabelLines(edge: LabelFacts): string[] {
  const [event, ...rest] = labelParts(edge);
  const joined = rest.join(' ');
  if (rest.length === 0) return [event!];
  return joined.length <= SHORT_REST ? [event!, joined] : [event!, ...rest];
}

function ancestors(graph: MachineGraph, id: string): string[] {
  const chain: string[] = [];
  let current = graph.nodes.find((n) => n.id === id)?.parent ?? null;
  while (current !== null) {
    chain.push(current);
    current = graph.nodes.find((n) => n.id === current)?.parent ?? null;
  }
  return chain;
}

/** The innermost compound node containing both ends (null = the root). */
function container(graph: MachineGraph, a: string, b: string): string | null {
  const upA = ancestors(graph, a);
  const upB = new Set(ancestors(graph, b));
  return upA.find((id) => upB.has(id)) ?? null;
}

/** Lays out with room reserved by ELK for the labels of the edges in `reserved` (and of
 * every edge inside a compound state); says which labels found no spot on their line. */
async function layoutOnce(
  graph: MachineGraph,
  reserved: ReadonlySet<string>,
): Promise<{ layout: Layout; unplaced: string[] }> {
  const elk = new (elkBundled as unknown as new () => ELK)();
  const elkNodes = new Map<string, ElkNode>();
  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '40',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.placement': 'CENTER',
    },
    children: [],
    edges: [],
  };
  const parents = new Set(graph.nodes.map((n) => n.parent));
  const hasChildren = (id: string) => parents.has(id);
  for (const node of graph.nodes) {
    elkNodes.set(node.id, {
      id: node.id,
      // A compound state without children here is drawn collapsed, with a ⊞ after its name.
      width: Math.max(
        90,
        textWidth(node.key) + (node.type === 'compound' && !hasChildren(node.id) ? 16 : 0),
      ),
      height: 36,
      labels: [{ text: node.key }],
      layoutOptions: { 'elk.padding': '[top=28,left=12,bottom=12,right=12]' },
      children: [],
      edges: [],
    });
  }
  for (const node of graph.nodes) {
    const parent = node.parent === null ? root : elkNodes.get(node.parent)!;
    parent.children!.push(elkNodes.get(node.id)!);
  }
  for (const node of elkNodes.values()) {
    if (node.children!.length > 0) {
      delete node.width;
      delete node.height;
    }
  }
  // An initial pseudo-state in every parent with an initial child, laid out like a state
  // (so ELK keeps it clear of the others) with an unlabelled edge to that child.
  const initialTargets = new Map<string, string>();
  for (const node of graph.nodes.filter((n) => n.initial)) {
    const parentKey = node.parent ?? '';
    const markerId = `${MARKER_PREFIX}${parentKey}`;
    initialTargets.set(markerId, node.id);
    const holder = node.parent === null ? root : elkNodes.get(node.parent)!;
    holder.children!.push({ id: markerId, width: MARKER_SIZE, height: MARKER_SIZE });
    holder.edges!.push({ id: `${markerId}->`, sources: [markerId], targets: [node.id] });
  }
  const edgeMeta = new Map<
    string,
    { key: string; source: string; target: string; text: string; lines: string[] }
  >();
  let count = 0;
  for (const edge of graph.edges) {
    for (const target of edge.targets) {
      const id = `e${count++}`;
      edgeMeta.set(id, {
        key: edge.key,
        source: edge.source,
        target,
        text: edgeLabelText(edge),
        lines: edgeLabelLines(edge),
      });
      const holder = container(graph, edge.source, target);
      const elkEdge: ElkExtendedEdge = { id, sources: [edge.source], targets: [target] };
      // ELK packs a compound state's children tightly; a label box given to ELK for an
      // edge inside one (or one whose label found no spot before) makes room for it.
      if (holder !== null || reserved.has(id))
        elkEdge.labels = [{ text: edgeLabelText(edge), ...labelSize(edgeLabelLines(edge)) }];
      (holder === null ? root : elkNodes.get(holder)!).edges!.push(elkEdge);
    }
  }
  const result = await elk.layout(root);
  const absolute = new Map<string, { x: number; y: number }>();
  const nodes: LaidOutNode[] = [];
  const edges: LaidOutEdge[] = [];
  const initials: InitialMarker[] = [];
  const markerBoxes = new Map<string, Box>();
  const walk = (node: ElkNode, offsetX: number, offsetY: number) => {
    for (const child of node.children ?? []) {
      const x = offsetX + (child.x ?? 0);
      const y = offsetY + (child.y ?? 0);
      absolute.set(child.id, { x, y });
      if (child.id.startsWith(MARKER_PREFIX)) {
        markerBoxes.set(child.id, { x, y, width: MARKER_SIZE, height: MARKER_SIZE });
        continue;
      }
      nodes.push({
        id: child.id,
        x,
        y,
        width: child.width ?? 0,
        height: child.height ?? 0,
        compound: (child.children ?? []).length > 0,
      });
      walk(child, x, y);
    }
    const base = node.id === '__root' ? { x: 0, y: 0 } : absolute.get(node.id)!;
    for (const edge of (node.edges ?? []) as ElkExtendedEdge[]) {
      const points = (edge.sections ?? []).flatMap((s) => [
        s.startPoint,
        ...(s.bendPoints ?? []),
        s.endPoint,
      ]);
      const markerId = edge.sources[0]!;
      const initialTarget = initialTargets.get(markerId);
      if (initialTarget !== undefined) {
        initials.push({
          ...markerBoxes.get(markerId)!,
          parent: markerId === MARKER_PREFIX ? null : markerId.slice(MARKER_PREFIX.length),
          target: initialTarget,
          points: points.map((p) => ({ x: base.x + p.x, y: base.y + p.y })),
        });
        continue;
      }
      const meta = edgeMeta.get(edge.id)!;
      edges.push({
        id: edge.id,
        key: meta.key,
        source: meta.source,
        target: meta.target,
        points: points.map((p) => ({ x: base.x + p.x, y: base.y + p.y })),
        label: null,
        leader: null,
      });
    }
  };
  walk(result, 0, 0);
  const sizes = edges.map((edge) => labelSize(edgeMeta.get(edge.id)!.lines));
  const spots = placeLabels({
    obstacles: [...nodes, ...initials.map((i) => ({ ...i, compound: false }))],
    labels: edges.map((edge, i) => ({ points: edge.points, ...sizes[i]! })),
  });
  edges.forEach((edge, i) => {
    const { text, lines } = edgeMeta.get(edge.id)!;
    const middle = edge.points[Math.floor(edge.points.length / 2)] ?? { x: 0, y: 0 };
    const box = spots[i] ?? { ...sizes[i]!, x: middle.x + 4, y: middle.y + 4, align: 'start' };
    edge.label = { text, lines, ...box };
    edge.leader = labelLeader(box, edge.points);
  });
  return {
    layout: withinView({
      width: result.width ?? 0,
      height: result.height ?? 0,
      nodes,
      edges,
      initials,
    }),
    unplaced: edges.filter((_, i) => spots[i] === null).map((edge) => edge.id),
  };
}

/** Rounds of layout that reserve room for labels still without a spot on their line. */
const LAYOUT_ROUNDS = 3;

export async function layoutGraph(graph: MachineGraph): Promise<Layout> {
  const reserved = new Set<string>();
  for (let round = 1; ; round++) {
    const { layout, unplaced } = await layoutOnce(graph, reserved);
    if (unplaced.length === 0 || round === LAYOUT_ROUNDS) return layout;
    for (const id of unplaced) reserved.add(id);
  }
}

/** The layout moved and grown so that labels placed beyond ELK's area are inside it. */
function withinView(layout: Layout): Layout {
  const boxes: Box[] = [
    { x: 0, y: 0, width: layout.width, height: layout.height },
    ...layout.edges.flatMap((e) => (e.label === null ? [] : [e.label])),
  ];
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  const move = <T extends Point>(p: T): T => ({ ...p, x: p.x - left, y: p.y - top });
  return {
    width: right - left,
    height: bottom - top,
    nodes: layout.nodes.map(move),
    initials: layout.initials.map((i) => ({ ...move(i), points: i.points.map(move) })),
    edges: layout.edges.map((e) => ({
      ...e,
      points: e.points.map(move),
      label: e.label === null ? null : move(e.label),
      leader: e.leader === null ? null : { from: move(e.leader.from), to: move(e.leader.to) },
    })),
  };
}
