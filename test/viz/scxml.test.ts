/**
 * SCXML export: each machine's .scxml parses as XML in the W3C namespace, and reading it
 * back gives the same states (with their kinds and initial children) and the same
 * transitions (source, event, guard, targets, actions, in order) as the machine's graph;
 * timers are delayed sends on entering their state.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { type MachineGraph, machineGraph } from '../../src/viz/graph.ts';
import { MACHINES } from '../../src/viz/machines.ts';
import { SCXML_NAMESPACE, scxmlEvent, toScxml } from '../../src/viz/scxml.ts';

type Element = Record<string, unknown>;

const ELEMENT_KINDS: Record<string, string> = {
  state: 'state',
  parallel: 'parallel',
  final: 'final',
};

interface ReadBack {
  states: Map<string, { kind: string; initial: string | null }>;
  transitions: string[];
  sends: string[];
}

const list = (value: unknown): Element[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as Element[]) : [value as Element];

function scripts(element: Element | undefined): string[] {
  const body = element?.script;
  const texts = body === undefined ? [] : Array.isArray(body) ? body : [body];
  return texts.map((text) => String(text).replace(/\(\)$/, ''));
}

function readBack(xml: string): ReadBack {
  assert.equal(XMLValidator.validate(xml), true, 'well-formed XML');
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml);
  const root = parsed.scxml as Element;
  assert.equal(root['@xmlns'], SCXML_NAMESPACE);
  assert.equal(root['@version'], '1.0');
  const out: ReadBack = { states: new Map(), transitions: [], sends: [] };
  const visit = (element: Element, kind: string) => {
    const id = String(element['@id']);
    out.states.set(id, { kind, initial: (element['@initial'] as string | undefined) ?? null });
    for (const t of list(element.transition))
      out.transitions.push(
        [id, t['@event'] ?? '', t['@cond'] ?? '', t['@target'] ?? '', scripts(t).join(',')].join(
          ' | ',
        ),
      );
    for (const onentry of list(element.onentry))
      for (const send of list(onentry.send))
        out.sends.push(`${id} ${send['@event']} ${send['@delay'] ?? send['@delayexpr']}`);
    for (const [tag, childKind] of Object.entries(ELEMENT_KINDS))
      for (const child of list(element[tag])) visit(child, childKind);
  };
  for (const top of list(root.state)) visit(top, 'state');
  return out;
}

function expectedTransitions(graph: MachineGraph): string[] {
  return graph.edges.map((e) =>
    [e.source, scxmlEvent(e), e.guard ?? '', e.targets.join(' '), e.actions.join(',')].join(' | '),
  );
}

describe('SCXML export', () => {
  for (const { name, title, machine, events } of MACHINES)
    it(`${name}: reading the SCXML back gives the graph's states and transitions`, () => {
      const graph = machineGraph(name, title, machine, events);
      const back = readBack(toScxml(graph));
      const states = graph.nodes.filter((n) => n.type !== 'any');
      assert.equal(back.states.size, states.length + 1, 'every state, and the machine itself');
      assert.equal(back.states.get(graph.id)?.kind, 'state');
      for (const node of states) {
        const read = back.states.get(node.id);
        assert.ok(read !== undefined, node.id);
        assert.equal(
          read.kind,
          node.type === 'final' ? 'final' : node.type === 'parallel' ? 'parallel' : 'state',
          node.id,
        );
        if (node.initial) {
          const parent = back.states.get(node.parent ?? graph.id);
          assert.equal(parent?.initial, node.id, `${node.id} is its parent's initial state`);
        }
      }
      // Per source, in document order (the order XState tries them in).
      const bySource = (rows: string[]) =>
        [...rows].sort((a, b) => a.split(' | ')[0]!.localeCompare(b.split(' | ')[0]!));
      assert.deepEqual(bySource(back.transitions), bySource(expectedTransitions(graph)));
      const timed = graph.edges.filter((e) => e.delay !== null);
      for (const edge of timed)
        assert.ok(
          back.sends.some((s) => s.startsWith(`${edge.source} ${scxmlEvent(edge)} `)),
          `a delayed send for ${edge.key}`,
        );
    });

  it('writes constant timers as SCXML delays and dynamic ones by name', () => {
    const { name, title, machine, events } = MACHINES[0]!;
    const back = readBack(toScxml(machineGraph(name, title, machine, events)));
    assert.ok(
      back.sends.includes('clientSession.handshaking after.HANDSHAKE_TIMEOUT 5s'),
      back.sends.join('; '),
    );
    assert.ok(back.sends.includes('clientSession.fallback after.RETRY_BACKOFF RETRY_BACKOFF'));
  });
});
