/**
 * Collapsible compound states on the auditors' page. Each machine is drawn once per
 * choice of open compound states (laid out when the page is written); one drawing is
 * shown at a time. A click on a collapsed box (⊞) opens it, a click on an open compound
 * state closes it, and "fit width" shows the most open drawing that fits the window at
 * 100 %, so its labels stay at full size (when none fits, the most collapsed one, scaled
 * to the width). The page opens every chart fitted to the width.
 */

export const VARIANT_STYLE = `
svg.chart .state.collapsed > rect { fill: #eef1f8; stroke-width: 2; }
svg.chart .state.collapsed, svg.chart .state.compound { cursor: pointer; }
`;

export const VARIANT_SCRIPT = `
/** Every drawing of each machine, with the compound states it shows open. */
const drawings = new Map();
for (const svg of document.querySelectorAll('svg.chart:not(.overview)')) {
  const expanded = new Set((svg.dataset.expanded || '').split(' ').filter(Boolean));
  drawings.set(svg.dataset.machine, [...(drawings.get(svg.dataset.machine) || []), { svg, viewport: svg.closest('.viewport'), expanded }]);
}
const sameSet = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
const shownDrawing = (machine) => drawings.get(machine).find((d) => !d.viewport.hidden);

/** Shows the machine's drawing with exactly these states open, at the zoom it had. */
function showDrawing(machine, expanded) {
  const next = drawings.get(machine).find((d) => sameSet(d.expanded, expanded));
  const current = shownDrawing(machine);
  if (!next || next === current) return next || current;
  const zoom = views.get(current.svg).zoom;
  current.viewport.hidden = true;
  next.viewport.hidden = false;
  zoomTo(views.get(next.svg), zoom);
  return next;
}

function chartClicked(view, target) {
  const state = target.closest && target.closest('g.state');
  if (!state) return;
  const machine = view.svg.dataset.machine;
  const id = state.dataset.state;
  const expanded = new Set(shownDrawing(machine).expanded);
  if (state.classList.contains('collapsed')) expanded.add(id);
  else if (state.classList.contains('compound') && expanded.has(id)) {
    for (const open of [...expanded]) if (open === id || open.startsWith(id + '.')) expanded.delete(open);
  } else return;
  const shown = showDrawing(machine, expanded);
  shown.svg.querySelector('g.state[data-state="' + CSS.escape(id) + '"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function fitWidth(machine) {
  const list = drawings.get(machine);
  const room = shownDrawing(machine).viewport.querySelector('.scroll').clientWidth;
  const fits = list.find((d) => views.get(d.svg).width <= room);
  const chosen = showDrawing(machine, (fits || list[list.length - 1]).expanded);
  const view = views.get(chosen.svg);
  zoomTo(view, fits ? 1 : room / view.width);
  view.scroll.scrollLeft = 0;
  drawFrame(view);
}

for (const machine of drawings.keys()) fitWidth(machine);
`;
