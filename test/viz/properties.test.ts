/**
 * The safety properties checked on the charts: every one holds on the machines as they
 * are, and each one fails, with a counterexample path, on a chart changed to break it
 * (so none of them holds by construction).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type GraphEdge, type MachineGraph, machineGraph } from '../../src/viz/graph.ts';
import { MACHINES } from '../../src/viz/machines.ts';
import { checkProperties, type PropertyVerdict } from '../../src/viz/properties.ts';

function graphOf(name: string): MachineGraph {
  const entry = MACHINES.find((m) => m.name === name)!;
  return machineGraph(entry.name, entry.title, entry.machine, entry.events);
}

function verdict(graph: MachineGraph, id: string): PropertyVerdict {
  const found = checkProperties([graph]).find((v) => v.id === id);
  assert.ok(found !== undefined, `${graph.name} has property ${id}`);
  return found;
}

function edge(overrides: Partial<GraphEdge> & Pick<GraphEdge, 'key' | 'source' | 'targets'>) {
  return {
    event: 'TEST',
    label: 'TEST',
    guard: null,
    actions: [],
    delay: null,
    delayAtMostMs: null,
    eventKey: 'TEST',
    origin: 'unauthenticated network',
    words: 'a test event',
    ...overrides,
  } satisfies GraphEdge;
}

/** The graph with `change` applied to a deep copy. */
function changed(name: string, change: (graph: MachineGraph) => void): MachineGraph {
  const graph = structuredClone(graphOf(name));
  change(graph);
  return graph;
}

describe('safety properties of the charts', () => {
  it('all hold on the machines as they are, the ones the issue names among them', () => {
    const verdicts = checkProperties(MACHINES.map((m) => graphOf(m.name)));
    assert.deepEqual(
      verdicts.filter((v) => !v.holds).map((v) => `${v.machine}: ${v.id}`),
      [],
    );
    const ids = verdicts.map((v) => `${v.machine}: ${v.id}`);
    for (const named of [
      'clientSession: no-fallback-from-the-network-alone',
      'clientSession: strict-never-falls-back',
      'clientSession: final-states-erase-keys',
      'serverSession: final-states-erase-keys',
      'clientSession: seal-only-after-a-handshake-was-sent',
      'daemonSupervisor: timers-bounded',
      'clientSession: timers-bounded',
    ])
      assert.ok(ids.includes(named), named);
    for (const v of verdicts) assert.ok(v.words.length > 30, `${v.id} is stated in words`);
  });

  it('an unauthenticated packet that leads from established towards fallback is found', () => {
    // First in its group: the chart's own FAILURE_NOTICE in probing (ignored) comes after.
    const graph = changed('clientSession', (g) =>
      g.edges.unshift(
        edge({
          key: 'test: notice fails the session',
          source: 'clientSession.established.probing',
          targets: ['clientSession.failing'],
          event: 'FAILURE_NOTICE',
          label: 'FAILURE_NOTICE',
          eventKey: 'FAILURE_NOTICE',
        }),
      ),
    );
    const found = verdict(graph, 'no-fallback-from-the-network-alone');
    assert.equal(found.holds, false);
    const path = found.counterexample!.path;
    assert.equal(path.at(-2), 'test: notice fails the session');
    assert.equal(path.at(-1), 'clientSession.failing --#2', 'then failing falls back');
    assert.match(found.counterexample!.words, /reaches clientSession\.fallback$/);
    const timed = changed('clientSession', (g) =>
      g.edges.push(
        edge({
          key: 'test: a timer fails the session',
          source: 'clientSession.established.probing',
          targets: ['clientSession.failing'],
          origin: 'timer',
          delayAtMostMs: 1000,
          delay: '1 s',
        }),
      ),
    );
    assert.ok(verdict(timed, 'no-fallback-from-the-network-alone').holds, 'a timer may');
  });

  it('a strict session that could fall back is found, because guards are read in order', () => {
    const graph = changed('clientSession', (g) => {
      g.edges = g.edges.filter(
        (e) => !(e.source === 'clientSession.failing' && e.guard === 'strict'),
      );
    });
    const found = verdict(graph, 'strict-never-falls-back');
    assert.equal(found.holds, false);
    assert.equal(found.counterexample!.path.at(-1), 'clientSession.failing --#2');
  });

  it('a final state entered without erasing the keys is found', () => {
    const client = changed('clientSession', (g) => {
      const closed = g.nodes.find((n) => n.id === 'clientSession.closed')!;
      closed.entry = closed.entry.filter((a) => a !== 'eraseTunnel');
    });
    const found = verdict(client, 'final-states-erase-keys');
    assert.equal(found.holds, false);
    assert.deepEqual(found.counterexample!.path, ['clientSession --CLOSE#0']);
    const server = changed('serverSession', (g) => {
      const expired = g.nodes.find((n) => n.id === 'serverSession.expired')!;
      expired.entry = ['releaseAddress'];
    });
    assert.equal(verdict(server, 'final-states-erase-keys').holds, false);
    const keepsAddress = changed('serverSession', (g) => {
      const expired = g.nodes.find((n) => n.id === 'serverSession.expired')!;
      expired.entry = ['eraseTunnelKeys'];
    });
    assert.equal(verdict(keepsAddress, 'final-states-release-the-address').holds, false);
  });

  it('a sealing state reached before any handshake was sent is found', () => {
    const graph = changed('clientSession', (g) =>
      g.edges.push(
        edge({
          key: 'test: straight to established',
          source: 'clientSession.fetchingEphemeralKey',
          targets: ['clientSession.established'],
          origin: 'key server',
        }),
      ),
    );
    const found = verdict(graph, 'seal-only-after-a-handshake-was-sent');
    assert.equal(found.holds, false);
    assert.equal(found.counterexample!.path.at(-1), 'test: straight to established');
  });

  it('an unbounded timer, an unexplained event, an unreachable state and a dead end are found', () => {
    const unbounded = changed('serverSession', (g) =>
      g.edges.push(
        edge({
          key: 'test: after forever',
          source: 'serverSession.established',
          targets: ['serverSession.expired'],
          origin: 'timer',
          delay: 'dynamic',
        }),
      ),
    );
    assert.deepEqual(verdict(unbounded, 'timers-bounded').counterexample?.path, [
      'test: after forever',
    ]);
    const unexplained = changed('daemonSupervisor', (g) => {
      g.edges[0]!.origin = null;
    });
    assert.equal(verdict(unexplained, 'events-explained').holds, false);
    const island = changed('staticKeyDownload', (g) => {
      g.nodes.push({
        ...g.nodes[0]!,
        id: 'staticKeyDownload.island',
        key: 'island',
        initial: false,
      });
    });
    assert.match(
      verdict(island, 'every-state-reachable').counterexample!.words,
      /staticKeyDownload\.island is never reached/,
    );
    const stuck = changed('staticKeyDownload', (g) => {
      g.edges = g.edges.filter((e) => e.source !== 'staticKeyDownload.level2');
    });
    assert.match(
      verdict(stuck, 'no-dead-ends').counterexample!.words,
      /staticKeyDownload\.level2 has no way out/,
    );
    const closable = changed('serverSession', (g) => {
      g.edges = g.edges.filter((e) => e.source !== 'serverSession.rekeying');
    });
    assert.ok(verdict(closable, 'no-dead-ends').holds, 'CLOSE, from any state, is a way out');
  });
});
