/**
 * The charts' layout: every transition into a state arrives at its own point, so edges
 * that share a target can be told apart at the state; every drawn transition has its
 * polyline and its label box.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { machineGraph } from '../../src/viz/graph.ts';
import { layoutGraph } from '../../src/viz/layout.ts';
import { MACHINES } from '../../src/viz/machines.ts';

describe('chart layout', () => {
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
