/**
 * The auditors' page: one self-contained HTML file (no network, no CDN) with every
 * machine drawn, tables of states and transitions with their protocol sections (links into
 * the project's protocol document, carried in the page) and
 * what causes each event, the safety properties checked on each chart with their
 * verdicts (a failing one's counterexample highlighted in the chart), and a small script
 * for the three dynamic views — coverage of the model-based tests, replay of a recorded
 * trace, and live sessions streamed from a running daemon or engine.
 */
import type { LaidOutMachine } from './collapse.ts';
import type { MachineGraph } from './graph.ts';
import { edgeLabelText } from './layout.ts';
import { PROTOCOL_TIMERS } from './machines.ts';
import { VARIANT_SCRIPT, VARIANT_STYLE } from './page-variants.ts';
import { ZOOM_SCRIPT, ZOOM_STYLE } from './page-zoom.ts';
import { checkProperties, type PropertyVerdict } from './properties.ts';
import { sectionAnchor } from './protocol-document.ts';
import { escapeXml, toSvg } from './svg.ts';

export interface PageData {
  machines: LaidOutMachine[];
  /** Transition keys exercised by the model-based tests, per machine name. */
  coverage?: Record<string, string[]>;
  /** A recorded trace (transitions as written by `--trace`). */
  trace?: unknown[];
  /** Set when the page is served by `pqconnect viz --live`. */
  live?: boolean;
  /** docs/protocol.md as HTML, carried at the end of the page (the § links point into it). */
  protocol?: string;
}

function sectionLinks(sections: readonly string[]): string {
  return sections.map((s) => `<a href="#${sectionAnchor(s)}">${escapeXml(s)}</a>`).join(' ');
}

/** Text made safe for HTML, with every § reference in it a link into the protocol. */
function withSectionLinks(text: string): string {
  return escapeXml(text).replace(/§(\d+)/g, (section) => sectionLinks([section]));
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 24px 48px; color: #1d2433; }
h1 { margin-top: 24px; } h2 { margin-top: 40px; border-bottom: 1px solid #ccd; }
.scroll { overflow: auto; border: 1px solid #dde; background: #fbfbfe; max-height: 80vh; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #1d2433; }
svg.chart .state rect { fill: #fff; stroke: #5b6b8c; stroke-width: 1.5; }
svg.chart .state.compound > rect, svg.chart .state.parallel > rect { fill: #eef1f8; }
svg.chart .state.any rect { fill: #f6f6f6; stroke-dasharray: 4 3; }
svg.chart .state.initial rect { stroke: #2d6a4f; }
svg.chart .state.final rect.inner { fill: none; }
svg.chart .pseudo.initial circle { fill: #1d2433; } svg.chart .pseudo.initial path { fill: none; stroke: #1d2433; stroke-width: 1.5; }
svg.chart .state.active rect { fill: #ffe08a; stroke: #b07d00; stroke-width: 3; }
svg.chart .transition path { fill: none; stroke: #7a869a; stroke-width: 1.2; }
svg.chart marker path { fill: #7a869a; }
svg.chart .transition text.label { font-size: 11px; fill: #44516b; paint-order: stroke; stroke: #fbfbfe; stroke-width: 3px; stroke-linejoin: round; }
svg.chart .transition line.leader { stroke: #9aa6bd; stroke-width: 1; stroke-dasharray: 2 3; }
svg.chart .transition:hover path, svg.chart .transition:hover line.leader { stroke: #1d6fb8; stroke-width: 2.5; stroke-dasharray: none; }
svg.chart .transition:hover text.label { fill: #1d6fb8; font-weight: bold; }
svg.chart .transition.covered path { stroke: #2d6a4f; stroke-width: 2; }
svg.chart .transition.uncovered path { stroke: #c0392b; stroke-dasharray: 5 4; }
svg.chart .transition.taken path { stroke: #b07d00; stroke-width: 3; }
svg.chart .transition.counterexample path { stroke: #c0392b; stroke-width: 3; }
tr.fails td.verdict { color: #c0392b; font-weight: bold; } tr.holds td.verdict { color: #2d6a4f; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #dde; padding: 3px 8px; vertical-align: top; text-align: left; }
details { margin: 8px 0; } .panel { background: #f3f5fa; padding: 8px 12px; border-radius: 6px; margin: 8px 0; }
#sessions td.state { font-weight: bold; } .muted { color: #6b7690; } #sessions tr.shown, #timeline tr.current { background: #fff6d6; } #trace-scrubber { width: 100%; } #timeline tr { cursor: pointer; }
`;

function stateTable(graph: MachineGraph): string {
  const rows = graph.nodes
    .filter((n) => n.type !== 'any')
    .map(
      (n) =>
        `<tr><td>${escapeXml(n.id.slice(graph.id.length + 1))}</td><td>${escapeXml(n.type)}</td><td>${escapeXml(n.tags.join(', '))}</td><td>${escapeXml([...n.entry.map((a) => `entry ${a}`), ...n.exit.map((a) => `exit ${a}`), ...n.invokes.map((i) => `invoke ${i}`)].join('; '))}</td><td>${sectionLinks(n.sections)}</td><td>${withSectionLinks(n.description)}</td></tr>`,
    );
  return `<table><tr><th>state</th><th>type</th><th>data policy</th><th>actions</th><th>protocol</th><th>description</th></tr>${rows.join('')}</table>`;
}

function transitionTable(graph: MachineGraph): string {
  const short = (id: string) => (id === graph.id ? '(any)' : id.slice(graph.id.length + 1));
  const rows = graph.edges.map(
    (e) =>
      `<tr data-key="${escapeXml(e.key)}"><td>${escapeXml(short(e.source))}</td><td>${escapeXml(e.targets.map(short).join(', ') || '(stays)')}</td><td>${escapeXml(edgeLabelText(e))}</td><td>${escapeXml(e.words)}</td><td>${escapeXml(e.origin ?? '')}</td><td>${escapeXml(e.delay ?? '')}</td></tr>`,
  );
  return `<table><tr><th>from</th><th>to</th><th>event [guard] / actions</th><th>what causes it</th><th>comes from</th><th>timer</th></tr>${rows.join('')}</table>`;
}

function propertyTable(verdicts: readonly PropertyVerdict[]): string {
  const rows = verdicts.map((v) => {
    const example = v.counterexample;
    const detail =
      example === null
        ? ''
        : `${escapeXml(example.words)}${example.path.length > 0 ? `<br><small class="muted">${escapeXml(example.path.join(' → '))}</small>` : ''}`;
    return `<tr class="${v.holds ? 'holds' : 'fails'}" data-property="${escapeXml(v.id)}"><td>${escapeXml(v.words)}</td><td class="verdict">${v.holds ? 'holds' : 'FAILS'}</td><td>${detail}</td></tr>`;
  });
  return `<table class="properties"><tr><th>property</th><th>verdict</th><th>counterexample</th></tr>${rows.join('')}</table>`;
}

const SCRIPT = `
const data = JSON.parse(document.getElementById('pqc-data').textContent);
/** Every drawing of each machine (one per choice of collapsed states). */
const charts = new Map();
for (const svg of document.querySelectorAll('svg.chart')) charts.set(svg.dataset.machine, [...(charts.get(svg.dataset.machine) || []), svg]);
/** A state drawn, or a collapsed box drawn for it, among the active ids. */
const shownActive = (g, ids) => ids.has(g.dataset.state) || (g.dataset.members || '').split(' ').some((id) => ids.has(id));
const visibleChart = (machine) => (charts.get(machine) || []).find((svg) => !svg.closest('.viewport').hidden);
const machineIds = Object.fromEntries(data.machines.map((m) => [m.name, m.id]));
for (const { machine, path } of data.counterexamples)
  for (const svg of charts.get(machine) || [])
    for (const key of path) svg.querySelector(\`.transition[data-key="\${CSS.escape(key)}"]\`)?.classList.add('counterexample');

function activeIds(machine, value) {
  const ids = [];
  const walk = (prefix, v) => {
    if (typeof v === 'string') { ids.push(prefix + '.' + v); return; }
    for (const [k, inner] of Object.entries(v || {})) { ids.push(prefix + '.' + k); walk(prefix + '.' + k, inner); }
  };
  walk(machineIds[machine], value);
  return ids;
}

const previous = new Map();
/** The transition a step took: from a state active before, on its event (or eventless,
 * when the event moved an actor and the chart went on by itself), into the new states. */
function takenEdge(machine, before, after, event) {
  const edges = data.edges[machine] || [];
  const from = new Set([machineIds[machine], ...before]);
  const lands = (e) => e.targets.every((t) => after.has(t));
  return edges.find((e) => from.has(e.source) && e.event === event && lands(e))
    || edges.find((e) => from.has(e.source) && e.event === '' && e.targets.length > 0 && lands(e))
    || null;
}

/** Shows a machine's states; given the event, also the transition that led there (and
 * scrolls the chart to it). Returns that transition, or null. */
function highlight(machine, value, event, scope) {
  if (!charts.has(machine)) return null;
  const ids = new Set(activeIds(machine, value));
  const key = scope === undefined ? machine : machine + ' ' + scope;
  const edge = event === undefined ? null : takenEdge(machine, previous.get(key) || [], ids, event);
  previous.set(key, [...ids]);
  for (const svg of charts.get(machine)) {
    for (const g of svg.querySelectorAll('g.state')) g.classList.toggle('active', shownActive(g, ids));
    for (const g of svg.querySelectorAll('g.transition')) g.classList.toggle('taken', edge !== null && g.dataset.key === edge.key);
  }
  const svg = visibleChart(machine);
  const target = svg && ((edge && svg.querySelector('g.transition.taken')) || [...svg.querySelectorAll('g.state.active')].pop());
  target?.scrollIntoView({ block: 'center', inline: 'center' });
  return edge;
}

if (data.coverage) {
  for (const [machine, keys] of Object.entries(data.coverage)) {
    const drawings = charts.get(machine);
    if (!drawings) continue;
    const covered = new Set(keys);
    for (const svg of drawings)
      for (const g of svg.querySelectorAll('g.transition')) g.classList.add(covered.has(g.dataset.key) ? 'covered' : 'uncovered');
    const all = [...drawings[0].querySelectorAll('g.transition')];
    const hit = all.filter((g) => covered.has(g.dataset.key)).length, total = all.length;
    const note = document.getElementById('coverage-' + machine);
    if (note) note.textContent = 'Model-based tests exercised ' + hit + ' of ' + total + ' drawn transitions (green: exercised, red dashed: not).';
  }
}

const traceBox = document.getElementById('trace');
let trace = data.trace || [];
let step = -1;
/** Shows the current step: its states and transition in the charts, and where it is. */
function showStep() {
  const entry = trace[step];
  if (entry) {
    previous.set(entry.machine + ' replay', statesBefore(step));
    highlight(entry.machine, entry.state, entry.event, 'replay');
  }
  markStep();
}
/** Marks the current step on the scrubber, the timeline and the position line. */
function markStep() {
  const entry = trace[step];
  if (step >= 0) document.getElementById('trace-scrubber').value = String(step);
  for (const row of document.querySelectorAll('#timeline tbody tr')) row.classList.toggle('current', Number(row.dataset.step) === step);
  const taken = entry ? takenEdge(entry.machine, statesBefore(step), new Set(activeIds(entry.machine, entry.state)), entry.event) : null;
  document.getElementById('trace-position').textContent = trace.length === 0 ? 'no trace loaded' : (step + 1) + ' / ' + trace.length + (entry ? ': ' + entry.machine + ' ' + entry.sessionId.slice(0, 12) + ' → ' + JSON.stringify(entry.state) + ' on ' + (taken ? taken.label + ' — ' + taken.words : entry.event) : '');
}
/** Public facts a transition carries, as short text: epochs, then attempts and counts. */
function epochsText(context) {
  return context && context.sendEpoch !== undefined ? context.sendEpoch + ' / ' + context.receiveEpoch : '';
}
function countsText(context) {
  const names = ['handshakeAttempts', 'reconnects', 'fallbacks', 'noticesIgnored', 'roams', 'levelsDone', 'generated', 'failures'];
  return names.filter((n) => context && typeof context[n] === 'number' && context[n] > 0).map((n) => n + ' ' + context[n]).join(', ');
}
/** The states of a step's session before it: its previous entry in the trace. */
function statesBefore(index) {
  const entry = trace[index];
  const before = trace.slice(0, index).reverse().find((t) => t.sessionId === entry.sessionId);
  return before ? activeIds(before.machine, before.state) : [];
}
/** A timeline row: the step's time from the first step, session, state, transition,
 * epochs and counts; a click moves the replay there. */
function timelineRow(entry, index) {
  const row = document.createElement('tr');
  row.dataset.step = String(index);
  const edge = takenEdge(entry.machine, statesBefore(index), new Set(activeIds(entry.machine, entry.state)), entry.event);
  const cells = ['+' + ((entry.at - trace[0].at) / 1000).toFixed(3) + ' s', entry.machine + ' ' + entry.sessionId.slice(0, 12), JSON.stringify(entry.state), edge ? edge.label : entry.event, epochsText(entry.context), countsText(entry.context)];
  for (const text of cells) { const cell = document.createElement('td'); cell.textContent = text; row.append(cell); }
  row.onclick = () => { step = index; moved(); };
  return row;
}
function buildTimeline() {
  const body = document.querySelector('#timeline tbody');
  body.innerHTML = '';
  document.getElementById('trace-scrubber').max = String(Math.max(0, trace.length - 1));
  trace.forEach((entry, index) => body.append(timelineRow(entry, index)));
}
/** The reader moved the replay: on the live page that stops following the latest session. */
function moved() {
  if (data.live) stopFollowing(trace[step].sessionId);
  showStep();
}
document.getElementById('trace-scrubber').oninput = (event) => { if (trace.length > 0) { step = Number(event.target.value); moved(); } };
document.getElementById('trace-next').onclick = () => { if (step < trace.length - 1) { step++; moved(); } };
document.getElementById('trace-prev').onclick = () => { if (step > 0) { step--; moved(); } };
document.getElementById('trace-file').onchange = async (event) => {
  const text = await event.target.files[0].text();
  trace = text.split('\\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  step = -1; buildTimeline(); showStep();
};
buildTimeline();
showStep();

/** Set on the live page: stops following the latest session, showing this one. */
let stopFollowing = () => {};
/** The live page's timeline keeps this many transitions (then drops the older half). */
const LIVE_TIMELINE_ROWS = 2000;
if (data.live) {
  document.getElementById('live').hidden = false;
  const sessions = new Map();
  /** The session the charts show: the most recently active one, unless a row was clicked. */
  let pinned = null;
  const follow = document.getElementById('follow');
  follow.onchange = () => {
    if (!follow.checked) return;
    pinned = null; step = trace.length - 1; markStep();
    const s = sessions.get(latest);
    if (s) { highlight(s.machine, s.state); render(); }
  };
  stopFollowing = (sessionId) => { pinned = sessionId; follow.checked = false; };
  document.getElementById('timeline-box').open = true;
  const render = () => {
    const body = document.getElementById('sessions-body');
    body.innerHTML = '';
    for (const [id, s] of sessions) {
      const row = document.createElement('tr');
      row.dataset.session = id;
      const recent = s.history.slice(-6).map((h) => new Date(h.at).toLocaleTimeString() + ' ' + JSON.stringify(h.state) + ' (' + (h.label || h.event) + ')' + (epochsText(h.context) ? ' epochs ' + epochsText(h.context) : '')).join('\\n');
      for (const [cls, text] of [['', s.machine], ['', s.name], ['state', JSON.stringify(s.state)], ['muted', recent]]) {
        const cell = document.createElement('td'); cell.className = cls; cell.textContent = text; cell.style.whiteSpace = 'pre'; row.append(cell);
      }
      row.classList.toggle('shown', id === (pinned || latest));
      row.onclick = () => { stopFollowing(id); highlight(s.machine, s.state); render(); };
      body.append(row);
    }
  };
  let latest = null;
  const source = new EventSource('/events');
  source.onmessage = (message) => {
    const t = JSON.parse(message.data);
    // Every transition goes on the timeline; while following, its last row is the current one.
    if (trace.length >= LIVE_TIMELINE_ROWS) { trace = trace.slice(-LIVE_TIMELINE_ROWS / 2); step = Math.max(-1, step - (LIVE_TIMELINE_ROWS - trace.length)); buildTimeline(); }
    trace.push(t);
    document.querySelector('#timeline tbody').append(timelineRow(t, trace.length - 1));
    document.getElementById('trace-scrubber').max = String(trace.length - 1);
    if (follow.checked) { step = trace.length - 1; markStep(); }
    const s = sessions.get(t.sessionId) || { machine: t.machine, name: (t.context && t.context.name) || t.sessionId.slice(0, 16), history: [] };
    s.state = t.state; s.history.push(t); if (s.history.length > 50) s.history.shift();
    sessions.set(t.sessionId, s);
    const edge = takenEdge(t.machine, previous.get(t.machine + ' ' + t.sessionId) || [], new Set(activeIds(t.machine, t.state)), t.event);
    s.history[s.history.length - 1] = { ...t, label: edge ? edge.label : null };
    if (pinned === null || pinned === t.sessionId) { latest = t.sessionId; highlight(t.machine, t.state, t.event, t.sessionId); }
    else previous.set(t.machine + ' ' + t.sessionId, activeIds(t.machine, t.state));
    document.getElementById('live-status').textContent = 'connected; last transition ' + new Date(t.at).toLocaleTimeString();
    render();
  };
  source.onerror = () => { document.getElementById('live-status').textContent = 'disconnected; retrying'; };
  const poll = async () => {
    try {
      const status = await (await fetch('/status')).json();
      document.getElementById('counters').textContent = JSON.stringify(status.counters || status, null, 1);
    } catch { /* the next poll retries */ }
  };
  poll(); setInterval(poll, 2000);
}
`;

export function renderPage(data: PageData): string {
  const verdicts = checkProperties(data.machines.map((m) => m.graph));
  const embedded = {
    machines: data.machines.map((m) => ({ name: m.graph.name, id: m.graph.id })),
    edges: Object.fromEntries(
      data.machines.map(({ graph }) => [
        graph.name,
        graph.edges.map(({ key, source, event, targets, label, words }) => ({
          key,
          source,
          event,
          targets,
          label,
          words,
        })),
      ]),
    ),
    counterexamples: verdicts.flatMap((v) =>
      v.counterexample === null ? [] : [{ machine: v.machine, path: v.counterexample.path }],
    ),
    coverage: data.coverage,
    trace: data.trace,
    live: data.live === true,
  };
  const sections = data.machines.map(
    ({ graph, variants }) => `
<h2 id="${graph.name}">${escapeXml(graph.title)} <small class="muted">(${escapeXml(graph.id)})</small></h2>
<p>${withSectionLinks(graph.description)}</p>
<p class="muted" id="coverage-${graph.name}"></p>
<div class="variants">${variants.map((v, i) => `<div class="viewport"${i === 0 ? '' : ' hidden'}><div class="scroll">${toSvg(v.graph, v.layout, v.members, v.expanded)}</div></div>`).join('')}</div>
<div class="panel"><b>Safety properties</b> <span class="muted">(checked on this chart: <code>pqconnect viz --check</code>)</span>
${propertyTable(verdicts.filter((v) => v.machine === graph.name))}</div>
<details><summary>States</summary>${stateTable(graph)}</details>
<details><summary>Transitions</summary>${transitionTable(graph)}</details>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PQConnect state charts</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'">
<style>${STYLE}${ZOOM_STYLE}${VARIANT_STYLE}</style></head>
<body>
<h1>PQConnect state charts</h1>
<p>Every state machine of this PQConnect implementation, drawn from its definition. Hover a state for its description and the
section of the protocol document (at the end of this page) it implements. States tagged <b>seal</b>, <b>queue</b> or <b>plain</b> tell the data plane what to do with the
session's packets; untagged states drop them.</p>
<div class="panel"><b>Protocol timers</b><ul>${PROTOCOL_TIMERS.map((t) => `<li>${withSectionLinks(t)}</li>`).join('')}</ul></div>
<div class="panel" id="live" hidden><b>Live sessions</b> <span id="live-status" class="muted">connecting…</span>
<label><input type="checkbox" id="follow" checked> follow the most recently active session</label>
<table id="sessions"><thead><tr><th>machine</th><th>session</th><th>state</th><th>recent transitions</th></tr></thead><tbody id="sessions-body"></tbody></table>
<details><summary>Counters (packets, bytes, drops by reason)</summary><pre id="counters"></pre></details></div>
<div class="panel"><b>Trace replay</b> <input type="file" id="trace-file" accept=".jsonl,.json,.txt">
<button id="trace-prev">◀ previous</button> <button id="trace-next">next ▶</button> <span id="trace-position"></span>
<div><input type="range" id="trace-scrubber" min="0" max="0" value="0" aria-label="trace step"></div>
<details id="timeline-box"><summary>Timeline</summary><table id="timeline"><thead><tr><th>time</th><th>session</th><th>state</th><th>transition</th><th>epochs send/receive</th><th>counts</th></tr></thead><tbody></tbody></table></details></div>
<nav>${data.machines.map((m) => `<a href="#${m.graph.name}">${escapeXml(m.graph.title)}</a>`).join(' · ')}${data.protocol === undefined ? '' : ' · <a href="#protocol">the protocol</a>'}</nav>
${sections.join('\n')}
${data.protocol === undefined ? '' : `<h2 id="protocol">The protocol (docs/protocol.md)</h2>\n<section class="protocol">${data.protocol}</section>`}
<script type="application/json" id="pqc-data">${JSON.stringify(embedded).replace(/</g, '\\u003c')}</script>
<script>${SCRIPT}${ZOOM_SCRIPT}${VARIANT_SCRIPT}</script>
</body></html>
`;
}
