/** The plain geometry the chart layout and its label placement share: points, boxes, and
 * how far a box is from a segment. */

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function nearestOnSegment(p: Point, a: Point, b: Point): Point {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = dx * dx + dy * dy;
  const t =
    length === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length));
  return { x: a.x + t * dx, y: a.y + t * dy };
}

export function nearestInBox(p: Point, box: Box): Point {
  return {
    x: Math.max(box.x, Math.min(box.x + box.width, p.x)),
    y: Math.max(box.y, Math.min(box.y + box.height, p.y)),
  };
}

/** Whether segment a–b passes through the box (Liang–Barsky clipping). */
export function segmentCrosses(a: Point, b: Point, box: Box): boolean {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let low = 0;
  let high = 1;
  const sides: [number, number][] = [
    [-dx, a.x - box.x],
    [dx, box.x + box.width - a.x],
    [-dy, a.y - box.y],
    [dy, box.y + box.height - a.y],
  ];
  for (const [p, q] of sides) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const r = q / p;
    if (p < 0) low = Math.max(low, r);
    else high = Math.min(high, r);
    if (low > high) return false;
  }
  return true;
}

/** The closest points of a box and a segment: `from` on the box, `to` on the segment
 * (the same point when the segment passes through the box). */
export function closestPoints(box: Box, a: Point, b: Point): { from: Point; to: Point } {
  if (segmentCrosses(a, b, box)) {
    const inside = nearestInBox(a, box);
    const to = nearestOnSegment(inside, a, b);
    return { from: to, to };
  }
  const corners = [
    { x: box.x, y: box.y },
    { x: box.x + box.width, y: box.y },
    { x: box.x, y: box.y + box.height },
    { x: box.x + box.width, y: box.y + box.height },
  ];
  const pairs = [
    ...[a, b].map((end) => ({ from: nearestInBox(end, box), to: end })),
    ...corners.map((corner) => ({ from: corner, to: nearestOnSegment(corner, a, b) })),
  ];
  let best = pairs[0]!;
  for (const pair of pairs)
    if (
      Math.hypot(pair.from.x - pair.to.x, pair.from.y - pair.to.y) <
      Math.hypot(best.from.x - best.to.x, best.from.y - best.to.y)
    )
      best = pair;
  return best;
}
