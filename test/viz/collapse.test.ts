/**
 * Collapsed drawings: a collapsed state hides its children, transitions to and from them
 * start or end at its box with their keys kept, transitions wholly inside it are left out,
 * and a machine's drawings are every consistent choice of open states.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collapseGraph, compoundStates, expansionChoices } from '../../src/viz/collapse.ts';
import { type MachineGraph, machineGraph } from '../../src/viz/graph.ts';
import { MACHINES } from '../../src/viz/machines.ts';

const { name, title, machine, events } = MACHINES[0]!;
const client = machineGraph(name, title, machine, events);
const HANDSHAKING = 'clientSession.handshaking';

describe('collapsed drawings', () => {
  it('hides a collapsed state’s children and draws their transitions at its box', () => {
    const { graph, members } = collapseGraph(client, new Set(['clientSession.established']));
    const inside = client.nodes.filter((n) => n.parent === HANDSHAKING).map((n) => n.id);
    assert.ok(inside.length >= 2);
    assert.deepEqual(members.get(HANDSHAKING), inside);
    assert.equal(members.has('clientSession.established'), false, 'the open one is drawn open');
    for (const id of inside) assert.ok(!graph.nodes.some((n) => n.id === id), `${id} hidden`);
    for (const edge of graph.edges) {
      assert.ok(!inside.includes(edge.source), `${edge.key} starts at a shown state`);
      for (const target of edge.targets) assert.ok(!inside.includes(target));
    }
    // The child's way out keeps its key, now from the box.
    const out = client.edges.find(
      (e) => e.source === `${HANDSHAKING}.sending` && e.targets[0] === 'clientSession.failing',
    )!;
    assert.equal(graph.edges.find((e) => e.key === out.key)?.source, HANDSHAKING);
    // A transition wholly inside is left out: sending → awaitingConfirmation.
    const within = client.edges.filter(
      (e) =>
        inside.includes(e.source) &&
        e.targets.length > 0 &&
        e.targets.every((t) => inside.includes(t)),
    );
    assert.ok(within.length >= 1);
    for (const edge of within)
      assert.ok(!graph.edges.some((e) => e.key === edge.key), `${edge.key} left out`);
    assert.equal(graph.edges.length, client.edges.length - within.length);
  });

  it('all open is the machine itself', () => {
    const { graph, members } = collapseGraph(client, new Set(compoundStates(client)));
    assert.equal(members.size, 0);
    assert.deepEqual(graph.nodes, client.nodes);
    assert.deepEqual(graph.edges, client.edges);
  });

  it('opens a nested state only inside an open parent', () => {
    const node = (id: string, parent: string | null) => ({
      id,
      key: id,
      parent,
      type: 'atomic',
      initial: false,
      description: '',
      tags: [],
      entry: [],
      exit: [],
      invokes: [],
      sections: [],
    });
    const nested: MachineGraph = {
      name: 'n',
      title: 'n',
      id: 'n',
      description: '',
      nodes: [node('n.a', null), node('n.a.b', 'n.a'), node('n.a.b.c', 'n.a.b'), node('n.d', null)],
      edges: [],
    };
    assert.deepEqual(expansionChoices(nested), [['n.a', 'n.a.b'], ['n.a'], []]);
    const { members } = collapseGraph(nested, new Set());
    assert.deepEqual(members.get('n.a'), ['n.a.b', 'n.a.b.c'], 'the outermost box holds all');
    assert.deepEqual(expansionChoices(client)[0], compoundStates(client), 'all open first');
  });
});
