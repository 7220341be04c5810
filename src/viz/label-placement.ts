/**
 * Places each transition's label on its own line: the label box is put beside or across
 * a point of the edge's polyline, at the first spot (middle of the longest segment first,
 * then outwards) that overlaps no state it is not inside, no compound state's title band,
 * no initial pseudo-state and no label placed before it, preferring spots that cross the
 * fewest other lines. Pure geometry; an edge with no such spot gets null and keeps the
 * layout engine's box (with a leader).
 */
import { type Box, type Point, segmentCrosses } from './layout-geometry.ts';

export interface Obstacle extends Box {
  /** A compound state: a label may sit inside it, below its title band. */
  compound: boolean;
}

export interface LabelRequest {
  points: readonly Point[];
  width: number;
  height: number;
}

/** Where a label's text sits in its box: against the line it is beside, or centred on
 * the point it marks. */
export type Align = 'start' | 'middle' | 'end';

export interface Spot extends Box {
  align: Align;
}

export interface PlacementInput {
  obstacles: readonly Obstacle[];
  labels: readonly LabelRequest[];
}

/** The height of a compound state's title band, which labels keep clear of. */
export const TITLE_BAND = 28;
/** Space kept between a label and anything it must not touch. */
const CLEARANCE = 2;
/** How far beside its line a label sits. */
const BESIDE = 2;
/** Candidate points along a segment are this far apart (px), from its middle outwards. */
const STEP = 6;

function overlaps(a: Box, b: Box, gap: number): boolean {
  return (
    a.x < b.x + b.width + gap &&
    b.x < a.x + a.width + gap &&
    a.y < b.y + b.height + gap &&
    b.y < a.y + a.height + gap
  );
}

function contains(outer: Box, inner: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

function blockedBy(box: Box, obstacle: Obstacle): boolean {
  if (!overlaps(box, obstacle, CLEARANCE)) return false;
  if (!obstacle.compound) return true;
  const body = {
    x: obstacle.x + CLEARANCE,
    y: obstacle.y + TITLE_BAND,
    width: obstacle.width - 2 * CLEARANCE,
    height: obstacle.height - TITLE_BAND - CLEARANCE,
  };
  return !contains(body, box);
}

/** Candidate boxes along the polyline, best first: longest segment first, its middle
 * first, beside the line before across it. */
function candidates(request: LabelRequest): Spot[] {
  const { points, width, height } = request;
  const segments: [Point, Point][] = [];
  for (let i = 1; i < points.length; i++) segments.push([points[i - 1]!, points[i]!]);
  segments.sort(
    ([a1, b1], [a2, b2]) =>
      Math.hypot(b2.x - a2.x, b2.y - a2.y) - Math.hypot(b1.x - a1.x, b1.y - a1.y),
  );
  const boxes: Spot[] = [];
  for (const [a, b] of segments) {
    const vertical = Math.abs(b.x - a.x) < Math.abs(b.y - a.y);
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    const steps = Math.floor(length / 2 / STEP);
    for (let k = 0; k <= 2 * steps; k++) {
      const t =
        length === 0 ? 0.5 : 0.5 + ((k % 2 === 0 ? 1 : -1) * Math.ceil(k / 2) * STEP) / length;
      const p = { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
      const across: Spot = {
        x: p.x - width / 2,
        y: p.y - height / 2,
        width,
        height,
        align: 'middle',
      };
      if (vertical)
        boxes.push(
          { ...across, x: p.x + BESIDE, align: 'start' },
          { ...across, x: p.x - BESIDE - width, align: 'end' },
          across,
        );
      else
        boxes.push({ ...across, y: p.y - BESIDE - height }, { ...across, y: p.y + BESIDE }, across);
    }
  }
  return boxes;
}

/** Places labels most constrained first (fewest spots clear of states), so one with few
 * choices is not crowded out by one with many. */
export function placeLabels(input: PlacementInput): (Spot | null)[] {
  const { obstacles, labels } = input;
  const lines = labels.map((l) => l.points);
  const open = labels.map((request) =>
    candidates(request).filter((box) => !obstacles.some((o) => blockedBy(box, o))),
  );
  const order = labels.map((_, i) => i).sort((a, b) => open[a]!.length - open[b]!.length);
  const placed: Box[] = [];
  const spots: (Spot | null)[] = labels.map(() => null);
  for (const own of order) {
    let best: Spot | null = null;
    let bestCrossings = Number.POSITIVE_INFINITY;
    for (const box of open[own]!) {
      if (placed.some((p) => overlaps(box, p, CLEARANCE))) continue;
      const crossings = crossingsOf(box, lines, own);
      if (crossings < bestCrossings) {
        best = box;
        bestCrossings = crossings;
        if (crossings === 0) break;
      }
    }
    if (best !== null) placed.push(best);
    spots[own] = best;
  }
  return spots;
}

function crossingsOf(box: Box, lines: readonly (readonly Point[])[], own: number): number {
  let crossings = 0;
  for (let other = 0; other < lines.length; other++) {
    if (other === own) continue;
    const line = lines[other]!;
    for (let i = 1; i < line.length; i++)
      if (segmentCrosses(line[i - 1]!, line[i]!, box)) crossings++;
  }
  return crossings;
}
