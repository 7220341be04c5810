/**
 * The charts' layout: every label sits on its own line in every drawing of every machine,
 * clear of states and other labels; every transition into a state arrives at its own
 * point, so edges that share a target can be told apart at the state; every drawn
 * transition has its polyline and its label box.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { laidOutMachine } from '../../src/viz/export.ts';
import { machineGraph } from '../../src/viz/graph.ts';
import { placeLabels } from '../../src/viz/label-placement.ts';
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
    const leader = labelLeader({ x: 40, y: 30, width: 20, height: 10 }, edge)!;
    assert.equal(leader.from.y, 30, 'from the label’s nearest side');
    assert.ok(leader.from.x >= 40 && leader.from.x <= 60);
    assert.deepEqual(leader.to, { x: leader.from.x, y: 0 }, 'straight to the line');
    assert.equal(labelLeader({ x: 40, y: 2, width: 20, height: 10 }, edge), null, 'touching');
    // Measured from the whole box, not its centre: a wide label beside a bend touches it.
    const bend = [
      { x: 0, y: 100 },
      { x: 0, y: 0 },
      { x: 10, y: 0 },
    ];
    assert.equal(labelLeader({ x: 2, y: 40, width: 200, height: 28 }, bend), null);
  });

  it('places a label beside its line, clear of states and of labels placed before it', () => {
    const line = [
      { x: 100, y: 0 },
      { x: 100, y: 200 },
    ];
    const state = { x: 104, y: 80, width: 90, height: 36, compound: false };
    const [first, second] = placeLabels({
      obstacles: [state],
      labels: [
        { points: line, width: 120, height: 14 },
        { points: line, width: 120, height: 14 },
      ],
    });
    for (const spot of [first!, second!]) {
      assert.ok(boxToPolyline(spot, line) <= LEADER_MIN, 'on its line');
      const clear = (o: Box) =>
        spot.x + spot.width <= o.x ||
        o.x + o.width <= spot.x ||
        spot.y + spot.height <= o.y ||
        o.y + o.height <= spot.y;
      assert.ok(clear(state), 'clear of the state');
    }
    const apart =
      first!.y + first!.height <= second!.y ||
      second!.y + second!.height <= first!.y ||
      first!.x + first!.width <= second!.x ||
      second!.x + second!.width <= first!.x;
    assert.ok(apart, 'the two labels apart');
    assert.equal(first!.x > 100 ? first!.align : 'start', 'start', 'text against the line');
  });

  for (const { name, title, machine, events } of MACHINES)
    it(`${name}: in every drawing (all open, some collapsed) every label is on its own line`, async () => {
      const { variants } = await laidOutMachine(machineGraph(name, title, machine, events));
      for (const { expanded, layout } of variants)
        for (const edge of layout.edges) {
          assert.equal(edge.leader, null, `${edge.key} (${expanded}): no spot on its line`);
          assert.ok(
            boxToPolyline(edge.label!, edge.points) <= LEADER_MIN + 1,
            `${edge.key} (${expanded}): label apart from its line`,
          );
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
