/**
 * Layout of a machine graph with ELK (elkjs, layered algorithm, nested states laid out
 * inside their parents), computed when the page is written, so the page needs no layout
 * code of its own. Positions are absolute; edges are polylines with label boxes.
 */
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { MachineGraph } from './graph.ts';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

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
  label: (Box & { text: string }) | null;
  /** A line from the label to its edge, when the layout left the label apart from it. */
  leader: Leader | null;
}

export interface Point {
  x: number;
  y: number;
}

export interface Leader {
  from: Point;
  to: Point;
}

/** A label this close to its edge (px) needs no leader. */
export const LEADER_MIN = 3;

function nearestOnSegment(p: Point, a: Point, b: Point): Point {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = dx * dx + dy * dy;
  const t =
    length === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length));
  return { x: a.x + t * dx, y: a.y + t * dy };
}

function nearestInBox(p: Point, box: Box): Point {
  return {
    x: Math.max(box.x, Math.min(box.x + box.width, p.x)),
    y: Math.max(box.y, Math.min(box.y + box.height, p.y)),
  };
}

/** The leader from a label box to the nearest point of its edge's polyline, or null when
 * the box is within LEADER_MIN of it. */
export function labelLeader(box: Box, points: readonly Point[]): Leader | null {
  const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  let to: Point | null = null;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < points.length; i++) {
    const near = nearestOnSegment(centre, points[i - 1]!, points[i]!);
    const distance = Math.hypot(near.x - centre.x, near.y - centre.y);
    if (distance < best) {
      best = distance;
      to = near;
    }
  }
  if (to === null) return null;
  const from = nearestInBox(to, box);
  return Math.hypot(from.x - to.x, from.y - to.y) <= LEADER_MIN ? null : { from, to };
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
const LINE_HEIGHT = 14;

function textWidth(text: string): number {
  return Math.ceil(text.length * CHAR_WIDTH) + 12;
}

export function edgeLabelText(edge: {
  label: string;
  guard: string | null;
  actions: string[];
}): string {
  return [
    edge.label,
    edge.guard ? `[${edge.guard}]` : '',
    edge.actions.length > 0 ? `/ ${edge.actions.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
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

export async function layoutGraph(graph: MachineGraph): Promise<Layout> {
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
  for (const node of graph.nodes) {
    elkNodes.set(node.id, {
      id: node.id,
      width: Math.max(90, textWidth(node.key)),
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
  const edgeMeta = new Map<string, { key: string; source: string; target: string; text: string }>();
  let count = 0;
  for (const edge of graph.edges) {
    for (const target of edge.targets) {
      const id = `e${count++}`;
      const text = edgeLabelText(edge);
      edgeMeta.set(id, { key: edge.key, source: edge.source, target, text });
      const elkEdge: ElkExtendedEdge = {
        id,
        sources: [edge.source],
        targets: [target],
        labels: [{ text, width: textWidth(text), height: LINE_HEIGHT }],
      };
      const holder = container(graph, edge.source, target);
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
      const label = edge.labels?.[0];
      const absolutePoints = points.map((p) => ({ x: base.x + p.x, y: base.y + p.y }));
      const labelBox =
        label === undefined
          ? null
          : {
              text: meta.text,
              x: base.x + (label.x ?? 0),
              y: base.y + (label.y ?? 0),
              width: label.width ?? 0,
              height: label.height ?? 0,
            };
      edges.push({
        id: edge.id,
        key: meta.key,
        source: meta.source,
        target: meta.target,
        points: absolutePoints,
        label: labelBox,
        leader: labelBox === null ? null : labelLeader(labelBox, absolutePoints),
      });
    }
  };
  walk(result, 0, 0);
  return { width: result.width ?? 0, height: result.height ?? 0, nodes, edges, initials };
}
