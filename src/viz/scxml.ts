/**
 * A machine graph as W3C SCXML (https://www.w3.org/TR/scxml/), for tools that read state
 * charts in the standard format. The mapping:
 *   - the machine is one top state (its id the machine's) holding the any-state
 *     transitions; nested states nest; final states are <final>;
 *   - an invoked actor's outcomes are the events `done.invoke.<id>` and `error.invoke.<id>`;
 *   - a timer is a delayed <send> of `after.<name>` on entering its state (cancelled on
 *     leaving it): `delay` for a constant, `delayexpr` naming a dynamic delay;
 *   - guards are `cond` expressions naming the guard; actions are <script> calls by name
 *     (the ECMAScript data model), so the file says what runs, not how.
 */
import type { GraphEdge, GraphNode, MachineGraph } from './graph.ts';
import { escapeXml } from './svg.ts';

export const SCXML_NAMESPACE = 'http://www.w3.org/2005/07/scxml';

/** The SCXML event of a transition ('' for an eventless one). */
export function scxmlEvent(edge: Pick<GraphEdge, 'event'>): string {
  if (edge.event === '') return '';
  const after = /^xstate\.after\.([^.]+)\./.exec(edge.event);
  if (after) return `after.${after[1]}`;
  const outcome = /^xstate\.(done|error)\.actor\.(.+)$/.exec(edge.event);
  if (outcome) return `${outcome[1]}.invoke.${outcome[2]}`;
  return edge.event;
}

function timerName(edge: GraphEdge): string | null {
  return /^xstate\.after\.([^.]+)\./.exec(edge.event)?.[1] ?? null;
}

function calls(actions: readonly string[], indent: string): string[] {
  return actions.map((action) => `${indent}<script>${escapeXml(action)}()</script>`);
}

function transition(edge: GraphEdge, indent: string): string[] {
  const event = scxmlEvent(edge);
  const attributes = [
    event === '' ? '' : ` event="${escapeXml(event)}"`,
    edge.guard === null ? '' : ` cond="${escapeXml(edge.guard)}"`,
    edge.targets.length === 0 ? '' : ` target="${escapeXml(edge.targets.join(' '))}"`,
  ].join('');
  if (edge.actions.length === 0) return [`${indent}<transition${attributes}/>`];
  return [
    `${indent}<transition${attributes}>`,
    ...calls(edge.actions, `${indent}  `),
    `${indent}</transition>`,
  ];
}

/** A constant timer's delay in SCXML's CSS2 time form, or a dynamic one by name. */
function delayAttribute(edge: GraphEdge, name: string): string {
  const constant = /^(\d+(?:\.\d+)?) (s|ms)$/.exec(edge.delay ?? '');
  if (constant) return ` delay="${constant[1]}${constant[2]}"`;
  return ` delayexpr="${escapeXml(name)}"`;
}

function timers(node: GraphNode, edges: readonly GraphEdge[]): { entry: string[]; exit: string[] } {
  const seen = new Map<string, GraphEdge>();
  for (const edge of edges) {
    const name = timerName(edge);
    if (name !== null && !seen.has(name)) seen.set(name, edge);
  }
  const entry: string[] = [];
  const exit: string[] = [];
  for (const [name, edge] of seen) {
    const id = `${node.id}.after.${name}`;
    entry.push(
      `<send event="after.${escapeXml(name)}" id="${escapeXml(id)}"${delayAttribute(edge, name)}/>`,
    );
    exit.push(`<cancel sendid="${escapeXml(id)}"/>`);
  }
  return { entry, exit };
}

export function toScxml(graph: MachineGraph): string {
  const children = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) {
    if (node.type === 'any') continue;
    const parent = node.parent ?? graph.id;
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const edgesFrom = (id: string) => graph.edges.filter((edge) => edge.source === id);
  const initialOf = (id: string) => {
    const kids = children.get(id) ?? [];
    return (kids.find((kid) => kid.initial) ?? kids[0])?.id;
  };

  const render = (node: GraphNode, indent: string): string[] => {
    const element =
      node.type === 'final' ? 'final' : node.type === 'parallel' ? 'parallel' : 'state';
    const initial = node.type === 'compound' ? initialOf(node.id) : undefined;
    const own = edgesFrom(node.id);
    const timer = timers(node, own);
    const inner = `${indent}  `;
    const body: string[] = [];
    const entry = [
      ...timer.entry.map((line) => `${inner}  ${line}`),
      ...calls(node.entry, `${inner}  `),
    ];
    const exit = [
      ...timer.exit.map((line) => `${inner}  ${line}`),
      ...calls(node.exit, `${inner}  `),
    ];
    if (entry.length > 0) body.push(`${inner}<onentry>`, ...entry, `${inner}</onentry>`);
    if (exit.length > 0) body.push(`${inner}<onexit>`, ...exit, `${inner}</onexit>`);
    for (const edge of own) body.push(...transition(edge, inner));
    for (const invoke of node.invokes)
      body.push(
        `${inner}<invoke id="${escapeXml(invoke)}" type="xstate" src="${escapeXml(invoke)}"/>`,
      );
    for (const kid of children.get(node.id) ?? []) body.push(...render(kid, inner));
    const open = `${indent}<${element} id="${escapeXml(node.id)}"${initial === undefined ? '' : ` initial="${escapeXml(initial)}"`}`;
    return body.length === 0 ? [`${open}/>`] : [`${open}>`, ...body, `${indent}</${element}>`];
  };

  const top: string[] = [];
  for (const edge of edgesFrom(graph.id)) top.push(...transition(edge, '    '));
  for (const node of children.get(graph.id) ?? []) top.push(...render(node, '    '));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- ${escapeXml(graph.title)}: written by pqconnect viz from the XState definition. -->`,
    `<scxml xmlns="${SCXML_NAMESPACE}" version="1.0" datamodel="ecmascript" name="${escapeXml(graph.name)}" initial="${escapeXml(graph.id)}">`,
    `  <state id="${escapeXml(graph.id)}" initial="${escapeXml(initialOf(graph.id) ?? '')}">`,
    ...top,
    '  </state>',
    '</scxml>',
    '',
  ].join('\n');
}
