/**
 * Zoom and pan for the auditors' page, so a chart far wider than the window stays
 * readable: each chart sits in a focusable viewport that pans by dragging or with the
 * arrow keys, zooms with the wheel (around the pointer) or + and − (0: back to 100 %,
 * where labels are 11 px and more; "fit width": see page-variants), and has a minimap of the whole chart whose frame shows
 * the part in view; a click or drag on the minimap moves the view there.
 */

export const ZOOM_STYLE = `
.viewport { position: relative; }
.viewport .scroll { cursor: grab; outline: none; }
.viewport .scroll:focus-visible { box-shadow: 0 0 0 2px #5b6b8c; }
.viewport .scroll.dragging { cursor: grabbing; }
.viewport .minimap { position: absolute; right: 16px; bottom: 16px; width: 220px; background: #fffe; border: 1px solid #99a; box-shadow: 0 1px 4px #0003; cursor: crosshair; }
.viewport .minimap svg { display: block; width: 100%; height: auto; pointer-events: none; }
.viewport .minimap .frame { position: absolute; border: 2px solid #b07d00; background: #ffe08a44; pointer-events: none; }
.viewport .zoom { display: flex; gap: 4px; margin: 4px 0; }
.viewport .zoom button { min-width: 28px; }
.viewport .zoom .level { font: 12px system-ui, sans-serif; background: #fffd; padding: 2px 6px; border-radius: 4px; }
`;

export const ZOOM_SCRIPT = `
const MIN_ZOOM = 0.2, MAX_ZOOM = 3, STEP = 1.25, PAN = 80;
const views = new Map();
for (const svg of document.querySelectorAll('svg.chart')) {
  const scroll = svg.closest('.scroll');
  const viewport = scroll.parentElement;
  const width = Number(svg.getAttribute('width')), height = Number(svg.getAttribute('height'));
  const view = { svg, scroll, width, height, zoom: 1 };
  views.set(svg, view);
  scroll.tabIndex = 0;
  scroll.setAttribute('aria-label', 'chart: drag or arrow keys to pan, wheel or + and - to zoom, 0 for 100 %');
  const controls = document.createElement('div');
  controls.className = 'zoom';
  const level = document.createElement('span');
  level.className = 'level';
  for (const [text, title, action] of [['−', 'zoom out', () => zoomBy(view, 1 / STEP)], ['+', 'zoom in', () => zoomBy(view, STEP)], ['100 %', 'labels at full size', () => zoomTo(view, 1)], ['fit width', 'the whole width in view, states collapsed until labels stay at full size', () => fitWidth(svg.dataset.machine)]]) {
    const button = document.createElement('button');
    button.textContent = text; button.title = title; button.onclick = action;
    controls.append(button);
  }
  controls.append(level);
  view.level = level;
  const minimap = document.createElement('div');
  minimap.className = 'minimap';
  const overview = svg.cloneNode(true);
  overview.removeAttribute('width'); overview.removeAttribute('height');
  overview.removeAttribute('data-machine'); overview.classList.add('overview');
  const frame = document.createElement('div');
  frame.className = 'frame';
  minimap.append(overview, frame);
  view.frame = frame; view.minimap = minimap;
  viewport.prepend(controls);
  viewport.append(minimap);
  scroll.addEventListener('wheel', (event) => {
    event.preventDefault();
    const box = scroll.getBoundingClientRect();
    zoomBy(view, event.deltaY < 0 ? STEP : 1 / STEP, event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });
  let drag = null;
  scroll.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, left: scroll.scrollLeft, top: scroll.scrollTop, target: event.target, moved: false };
    scroll.classList.add('dragging');
    scroll.setPointerCapture(event.pointerId);
  });
  scroll.addEventListener('pointermove', (event) => {
    if (drag === null) return;
    if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 4) drag.moved = true;
    scroll.scrollLeft = drag.left - (event.clientX - drag.x);
    scroll.scrollTop = drag.top - (event.clientY - drag.y);
  });
  const endDrag = () => { drag = null; scroll.classList.remove('dragging'); };
  // A press that did not drag is a click on what was under the pointer (pointer capture
  // sends the click itself to the viewport).
  scroll.addEventListener('pointerup', () => { if (drag !== null && !drag.moved) chartClicked(view, drag.target); endDrag(); });
  scroll.addEventListener('pointercancel', endDrag);
  scroll.addEventListener('keydown', (event) => {
    const moves = { ArrowLeft: [-PAN, 0], ArrowRight: [PAN, 0], ArrowUp: [0, -PAN], ArrowDown: [0, PAN] };
    if (event.key in moves) { scroll.scrollBy(moves[event.key][0], moves[event.key][1]); event.preventDefault(); }
    else if (event.key === '+' || event.key === '=') { zoomBy(view, STEP); event.preventDefault(); }
    else if (event.key === '-') { zoomBy(view, 1 / STEP); event.preventDefault(); }
    else if (event.key === '0') { zoomTo(view, 1); event.preventDefault(); }
  });
  scroll.addEventListener('scroll', () => drawFrame(view));
  const jump = (event) => {
    const box = minimap.getBoundingClientRect();
    const fx = (event.clientX - box.left) / box.width, fy = (event.clientY - box.top) / box.height;
    scroll.scrollLeft = fx * view.width * view.zoom - scroll.clientWidth / 2;
    scroll.scrollTop = fy * view.height * view.zoom - scroll.clientHeight / 2;
  };
  let minimapDrag = false;
  minimap.addEventListener('pointerdown', (event) => { minimapDrag = true; minimap.setPointerCapture(event.pointerId); jump(event); });
  minimap.addEventListener('pointermove', (event) => { if (minimapDrag) jump(event); });
  minimap.addEventListener('pointerup', () => { minimapDrag = false; });
  applyZoom(view);
}

function applyZoom(view) {
  view.svg.setAttribute('width', String(view.width * view.zoom));
  view.svg.setAttribute('height', String(view.height * view.zoom));
  view.svg.dataset.zoom = String(view.zoom);
  view.level.textContent = Math.round(view.zoom * 100) + ' %';
  drawFrame(view);
}

/** Zooms keeping the chart point under (x, y) of the viewport (default: its centre) still. */
function zoomBy(view, factor, x, y) {
  zoomTo(view, view.zoom * factor, x, y);
}

function zoomTo(view, zoom, x = view.scroll.clientWidth / 2, y = view.scroll.clientHeight / 2) {
  const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
  const { scroll } = view;
  const px = (scroll.scrollLeft + x) / view.zoom, py = (scroll.scrollTop + y) / view.zoom;
  view.zoom = next;
  applyZoom(view);
  scroll.scrollLeft = px * next - x;
  scroll.scrollTop = py * next - y;
  drawFrame(view);
}

function drawFrame(view) {
  const { scroll, frame, minimap } = view;
  const w = view.width * view.zoom, h = view.height * view.zoom;
  const mw = minimap.clientWidth, mh = minimap.clientHeight;
  frame.style.left = (scroll.scrollLeft / w) * mw + 'px';
  frame.style.top = (scroll.scrollTop / h) * mh + 'px';
  frame.style.width = Math.min(1, scroll.clientWidth / w) * mw + 'px';
  frame.style.height = Math.min(1, scroll.clientHeight / h) * mh + 'px';
}
`;
