/**
 * Mermaid (stateDiagram-v2) and Graphviz DOT renderings of a machine graph, for audit
 * reports: nested states, every transition with its event, guard, actions and timer.
 */
import type { GraphEdge, GraphNode, MachineGraph } from './graph.ts';

function mermaidId(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}

function edgeText(edge: GraphEdge): string {
  const parts = [edge.label];
  if (edge.guard) parts.push(`[${edge.guard}]`);
  if (edge.actions.length > 0) parts.push(`/ ${edge.actions.join(', ')}`);
  return parts.join(' ');
}

function escapeMermaid(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}

export function toMermaid(graph: MachineGraph): string {
  const lines = ['stateDiagram-v2', `  %% ${graph.title}: ${graph.description}`];
  const children = (parent: string | null) => graph.nodes.filter((n) => n.parent === parent);
  const emitNode = (node: GraphNode, indent: string) => {
    const inner = children(node.id);
    lines.push(`${indent}state "${node.key}" as ${mermaidId(node.id)}`);
    if (inner.length > 0) {
      lines.push(`${indent}state ${mermaidId(node.id)} {`);
      for (const child of inner) {
        if (child.initial) lines.push(`${indent}  [*] --> ${mermaidId(child.id)}`);
        emitNode(child, `${indent}  `);
      }
      lines.push(`${indent}}`);
    }
    if (node.type === 'final') lines.push(`${indent}${mermaidId(node.id)} --> [*]`);
  };
  for (const node of children(null)) {
    if (node.initial) lines.push(`  [*] --> ${mermaidId(node.id)}`);
    emitNode(node, '  ');
  }
  for (const edge of graph.edges) {
    for (const target of edge.targets) {
      lines.push(
        `  ${mermaidId(edge.source)} --> ${mermaidId(target)} : ${escapeMermaid(edgeText(edge))}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function toDot(graph: MachineGraph): string {
  const lines = [
    `digraph ${dotString(graph.id)} {`,
    '  compound=true; rankdir=LR; node [shape=box, style=rounded];',
  ];
  const children = (parent: string | null) => graph.nodes.filter((n) => n.parent === parent);
  const anchor = new Map<string, string>();
  const emit = (node: GraphNode, indent: string) => {
    const inner = children(node.id);
    if (inner.length === 0) {
      const shape = node.type === 'final' ? ', peripheries=2' : '';
      lines.push(`${indent}${dotString(node.id)} [label=${dotString(node.key)}${shape}];`);
      anchor.set(node.id, node.id);
      return;
    }
    lines.push(
      `${indent}subgraph ${dotString(`cluster_${node.id}`)} {`,
      `${indent}  label=${dotString(node.key)};`,
    );
    for (const child of inner) emit(child, `${indent}  `);
    lines.push(`${indent}}`);
    anchor.set(node.id, anchor.get(inner.find((c) => c.initial)?.id ?? inner[0]!.id)!);
  };
  for (const node of children(null)) emit(node, '  ');
  for (const edge of graph.edges) {
    for (const target of edge.targets) {
      const from = anchor.get(edge.source) ?? edge.source;
      const to = anchor.get(target) ?? target;
      const clusters = [
        edge.source !== from ? `ltail=${dotString(`cluster_${edge.source}`)}` : '',
        target !== to ? `lhead=${dotString(`cluster_${target}`)}` : '',
      ].filter(Boolean);
      lines.push(
        `  ${dotString(from)} -> ${dotString(to)} [label=${dotString(edgeText(edge))}${clusters.map((c) => `, ${c}`).join('')}];`,
      );
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
