/**
 * Static export for auditors: every state and every transition of every machine appears
 * in the JSON, Mermaid and DOT outputs and in the page, with its protocol sections, linked into the protocol document the page carries.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AnyStateNode } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { exportCharts } from '../../src/viz/export.ts';
import { type MachineGraph, machineGraph } from '../../src/viz/graph.ts';
import { MACHINES } from '../../src/viz/machines.ts';
import { PROTOCOL_DOCUMENT, sectionAnchor } from '../../src/viz/protocol-document.ts';
import { tempDir } from '../support/temp-dir.ts';

function transitionCount(root: AnyStateNode): number {
  let count = 0;
  for (const node of [root, ...getStateNodes(root)]) {
    for (const list of [...node.transitions.values(), node.always ?? []]) count += list.length;
  }
  return count;
}

describe('state-chart export', () => {
  it('the graph of every machine has all its states and transitions, with timers', () => {
    for (const { name, title, machine } of MACHINES) {
      const graph = machineGraph(name, title, machine);
      const stateIds = getStateNodes(machine.root).map((n) => n.id);
      assert.ok(!stateIds.includes(machine.root.id), 'getStateNodes leaves the root out');
      for (const id of stateIds)
        assert.ok(
          graph.nodes.some((n) => n.id === id),
          `${name}: ${id}`,
        );
      assert.equal(graph.edges.length, transitionCount(machine.root), name);
    }
    const client = machineGraph('clientSession', 'Client session', MACHINES[0]!.machine);
    const labels = client.edges.map((e) => e.label);
    assert.ok(labels.includes('after HANDSHAKE_TIMEOUT (5 s)'));
    assert.ok(labels.includes('after RETRY_BACKOFF (10 s, doubling to 10 min)'));
    assert.deepEqual(client.nodes.find((n) => n.key === 'handshaking')?.sections, ['§5']);
  });

  it('writes JSON, Mermaid, DOT and the page with every state and transition', async () => {
    const dir = tempDir('viz');
    await exportCharts(dir);
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    assert.doesNotMatch(
      page,
      /<script src=|<link |<img |url\((?!#)|(?:src|href)="https?:/,
      'self-contained',
    );
    assert.ok(page.includes('data-property="no-fallback-from-the-network-alone"'));
    // Every § the charts cite is a link to an anchor of the protocol document in the page.
    const protocol = await readFile(PROTOCOL_DOCUMENT, 'utf8');
    const cited = new Set(
      MACHINES.flatMap(({ name, title, machine }) =>
        machineGraph(name, title, machine).nodes.flatMap((n) => n.sections),
      ),
    );
    assert.ok(cited.size >= 6, `the charts cite ${[...cited]}`);
    for (const section of cited) {
      const anchor = sectionAnchor(section);
      assert.ok(protocol.includes(`<a id="${anchor}"></a>`), `docs/protocol.md has ${section}`);
      assert.ok(page.includes(`href="#${anchor}"`), `the page links ${section}`);
      assert.ok(page.includes(`<a id="${anchor}"></a>`), `the page carries ${section}`);
    }
    assert.doesNotMatch(page, /PROTOCOL\.md/, 'no reference to a document outside the project');
    assert.match(
      page,
      /data-key="clientSession.fetchingEphemeralKey --xstate.error.actor.fetchEphemeralKey#0"><title>The key server did not answer in time[^<]*\nfrom: key server\nXState: xstate.error.actor.fetchEphemeralKey<\/title>/,
      'a transition says on hover what causes it',
    );
    assert.doesNotMatch(page, /<tr class="fails"/, 'every property holds on the page');
    // Each drawing has its own ids: a marker id shared by two drawings draws no arrows
    // while the first of them is hidden.
    const ids = [...page.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]!);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual([...new Set(repeated)], [], 'every id once');
    for (const svg of page.match(/<svg [^>]*class="chart"[\s\S]*?<\/svg>/g) ?? []) {
      const marker = /<marker id="([^"]+)"/.exec(svg)?.[1];
      const used = new Set([...svg.matchAll(/marker-end="url\(#([^)]+)\)"/g)].map((m) => m[1]));
      assert.deepEqual([...used], [marker], 'a drawing’s arrows use its own marker');
    }
    for (const { name } of MACHINES) {
      const json = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as {
        graph: MachineGraph;
        definition: unknown;
      };
      const mermaid = await readFile(join(dir, `${name}.mmd`), 'utf8');
      const dot = await readFile(join(dir, `${name}.dot`), 'utf8');
      const scxml = await readFile(join(dir, `${name}.scxml`), 'utf8');
      assert.match(scxml, /<scxml xmlns="http:\/\/www\.w3\.org\/2005\/07\/scxml"/);
      assert.ok(JSON.stringify(json.definition).length > 100);
      for (const node of json.graph.nodes) {
        assert.ok(page.includes(`data-state="${node.id}"`), `page: ${node.id}`);
        assert.ok(
          mermaid.includes(`"${node.key}" as ${node.id.replace(/[^A-Za-z0-9_]/g, '_')}`),
          `mermaid: ${node.id}`,
        );
        assert.ok(
          dot.includes(`"${node.id}"`) || dot.includes(`"cluster_${node.id}"`),
          `dot: ${node.id}`,
        );
      }
      const arrows = json.graph.edges.reduce((sum, e) => sum + e.targets.length, 0);
      assert.equal(
        (mermaid.match(/ --> (?!\[\*\])\S+ : /g) ?? []).length,
        arrows,
        `mermaid transitions of ${name}`,
      );
      assert.equal((dot.match(/ -> /g) ?? []).length, arrows, `dot transitions of ${name}`);
      for (const edge of json.graph.edges.filter((e) => e.targets.length > 0)) {
        assert.ok(page.includes(`data-key="${edge.key}"`), `page: ${edge.key}`);
      }
    }
  });
});
