/** A laid-out machine graph as an inline SVG, with data attributes the page script uses. */
import type { MachineGraph } from './graph.ts';
import { LABEL_LINE, type Layout } from './layout.ts';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** `members`: collapsed states with the states hidden inside them; `expanded`: the
 * compound states drawn open. */
export function toSvg(
  graph: MachineGraph,
  layout: Layout,
  members: ReadonlyMap<string, readonly string[]> = new Map(),
  expanded: readonly string[] = [],
): string {
  const margin = 10;
  // One page holds many drawings: each needs its own marker id, or its arrows point at
  // another drawing's marker (and vanish while that drawing is hidden).
  const arrow = `arrow-${[graph.name, ...expanded].join(' ').replace(/[^A-Za-z0-9]+/g, '-')}`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-machine="${graph.name}" data-expanded="${escapeXml(expanded.join(' '))}" viewBox="${-margin} ${-margin} ${layout.width + 2 * margin} ${layout.height + 2 * margin}" width="${layout.width + 2 * margin}" height="${layout.height + 2 * margin}">`,
    `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>`,
  ];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const box of [...layout.nodes].sort((a, b) => Number(b.compound) - Number(a.compound))) {
    const node = byId.get(box.id)!;
    const hidden = members.get(box.id);
    const classes = ['state', node.type, node.initial ? 'initial' : '', hidden ? 'collapsed' : '']
      .filter(Boolean)
      .join(' ');
    const title = [
      node.description,
      node.sections.length > 0 ? `protocol.md ${node.sections.join(' ')}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    parts.push(
      `<g class="${classes}" data-state="${escapeXml(node.id)}"${hidden ? ` data-members="${escapeXml(hidden.join(' '))}"` : ''}><title>${escapeXml(hidden ? `${title}\n(${hidden.length} states inside: click to open)` : title)}</title>`,
      `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="10"/>`,
      // A final state has a double border (UML's bull's-eye for a named state).
      node.type === 'final'
        ? `<rect class="inner" x="${box.x + 3}" y="${box.y + 3}" width="${box.width - 6}" height="${box.height - 6}" rx="7"/>`
        : '',
      `<text x="${box.x + (box.compound ? 10 : box.width / 2)}" y="${box.y + (box.compound ? 18 : box.height / 2 + 4)}"${box.compound ? '' : ' text-anchor="middle"'}>${escapeXml(hidden ? `${node.key} ⊞` : node.key)}</text>`,
      '</g>',
    );
  }
  for (const initial of layout.initials) {
    const d = initial.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`)
      .join(' ');
    const r = initial.width / 2;
    parts.push(
      `<g class="pseudo initial" data-initial-of="${escapeXml(initial.target)}"><title>${escapeXml(`starts in ${initial.target}`)}</title><circle cx="${initial.x + r}" cy="${initial.y + r}" r="${r - 1}"/><path d="${d}" marker-end="url(#${arrow})"/></g>`,
    );
  }
  const edgesByKey = new Map(graph.edges.map((e) => [e.key, e]));
  for (const edge of layout.edges) {
    if (edge.points.length < 2) continue;
    const facts = edgesByKey.get(edge.key);
    // What causes the event, where it comes from, and the raw XState name for developers.
    const title =
      facts === undefined
        ? ''
        : `<title>${escapeXml([facts.words, facts.origin === null ? '' : `from: ${facts.origin}`, `XState: ${facts.event || '(eventless)'}`].filter(Boolean).join('\n'))}</title>`;
    const d = edge.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`)
      .join(' ');
    parts.push(
      `<g class="transition" data-key="${escapeXml(edge.key)}">${title}<path d="${d}" marker-end="url(#${arrow})"/>`,
    );
    if (edge.leader !== null) {
      const { from, to } = edge.leader;
      parts.push(
        `<line class="leader" x1="${from.x.toFixed(1)}" y1="${from.y.toFixed(1)}" x2="${to.x.toFixed(1)}" y2="${to.y.toFixed(1)}"/>`,
      );
    }
    if (edge.label) {
      const { x, y, width, lines, align } = edge.label;
      const anchorX = align === 'start' ? x + 2 : align === 'end' ? x + width - 2 : x + width / 2;
      const rows = lines.map(
        (line, i) =>
          `<tspan x="${anchorX.toFixed(1)}" y="${(y + (i + 1) * LABEL_LINE - 3).toFixed(1)}">${escapeXml(line)}</tspan>`,
      );
      parts.push(`<text class="label" text-anchor="${align}">${rows.join('')}</text>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n');
}
