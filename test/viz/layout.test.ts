/**
 * The charts' layout: every transition into a state arrives at its own point, so edges
 * that share a target can be told apart at the state; every drawn transition has its
 * polyline and its label box.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { machineGraph } from '../../src/viz/graph.ts';
import {
  type Box,
  LEADER_MIN,
  labelLeader,
  layoutGraph,
  type Point,
} from '../../src/viz/layout.ts';
import { MACHINES } from '../../src/viz/machines.ts';

/** Distance from a point to a polyline. */
function toPolyline(p: Point, points: readonly Point[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    const [dx, dy] = [b.x - a.x, b.y - a.y];
    const t = Math.max(
      0,
      Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy || 1)),
    );
    best = Math.min(best, Math.hypot(a.x + t * dx - p.x, a.y + t * dy - p.y));
  }
  return best;
}

/** Distance from a box to a polyline (0 when they touch), sampled along the box's edges. */
function boxToPolyline(box: Box, points: readonly Point[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= 20; i++) {
    const f = i / 20;
    for (const p of [
      { x: box.x + f * box.width, y: box.y },
      { x: box.x + f * box.width, y: box.y + box.height },
      { x: box.x, y: box.y + f * box.height },
      { x: box.x + box.width, y: box.y + f * box.height },
    ])
      best = Math.min(best, toPolyline(p, points));
  }
  return best;
}

describe('chart layout', () => {
  it('a leader joins a label that sits apart to the nearest point of its edge', () => {
    const edge = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
    ];
    const leader = labelLeader({ x: 40, y: 30, width: 20, height: 10 }, edge);
    assert.deepEqual(leader, { from: { x: 50, y: 30 }, to: { x: 50, y: 0 } });
    assert.equal(labelLeader({ x: 40, y: 2, width: 20, height: 10 }, edge), null, 'touching');
  });

  for (const { name, title, machine, events } of MACHINES)
    it(`${name}: every label touches its edge or is joined to it by a leader`, async () => {
      const layout = await layoutGraph(machineGraph(name, title, machine, events));
      for (const edge of layout.edges) {
        const label = edge.label!;
        if (edge.leader === null) {
          assert.ok(
            boxToPolyline(label, edge.points) <= LEADER_MIN + 1,
            `${edge.key}: label apart, no leader`,
          );
          continue;
        }
        assert.ok(
          toPolyline(edge.leader.to, edge.points) < 0.5,
          `${edge.key}: leader ends on the edge`,
        );
        const { from } = edge.leader;
        const onBorder =
          from.x >= label.x - 0.5 &&
          from.x <= label.x + label.width + 0.5 &&
          from.y >= label.y - 0.5 &&
          from.y <= label.y + label.height + 0.5;
        assert.ok(onBorder, `${edge.key}: leader starts at the label`);
      }
    });

  for (const { name, title, machine, events } of MACHINES)
    it(`${name}: transitions into one state arrive apart, each with its label`, async () => {
      const graph = machineGraph(name, title, machine, events);
      const layout = await layoutGraph(graph);
      const compound = new Set(layout.nodes.filter((n) => n.compound).map((n) => n.id));
      const arrivals = new Map<string, { x: number; y: number }[]>();
      for (const edge of layout.edges) {
        assert.ok(edge.points.length >= 2, `${edge.key} is drawn`);
        assert.ok(edge.label !== null && edge.label.width > 0, `${edge.key} has its label`);
        if (compound.has(edge.target)) continue;
        const end = edge.points.at(-1)!;
        arrivals.set(edge.target, [...(arrivals.get(edge.target) ?? []), end]);
      }
      for (const [target, ends] of arrivals)
        for (let i = 0; i < ends.length; i++)
          for (let j = i + 1; j < ends.length; j++)
            assert.ok(
              Math.hypot(ends[i]!.x - ends[j]!.x, ends[i]!.y - ends[j]!.y) >= 4,
              `two transitions into ${target} arrive at one point (${ends[i]!.x}, ${ends[i]!.y})`,
            );
      assert.equal(
        layout.edges.length,
        graph.edges.reduce((sum, e) => sum + e.targets.length, 0),
      );
    });
});
