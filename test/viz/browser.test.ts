/**
 * The auditors' page in headless Chromium (Debian's chromium): the static page draws every
 * client-session state; the live page, fed by a running engine, highlights the session's
 * state and follows it from handshaking to established. Saves a screenshot.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { getStateNodes } from 'xstate/graph';
import { clientSessionMachine } from '../../src/actors/client-session.ts';
import type { SessionTransition } from '../../src/engine/session-events.ts';
import { exportCharts, laidOutMachine } from '../../src/viz/export.ts';
import { machineGraph } from '../../src/viz/graph.ts';
import { MACHINES } from '../../src/viz/machines.ts';
import { renderPage } from '../../src/viz/page.ts';
import { discover } from '../support/engine-flows.ts';
import { createPair, SERVER_ADDRESS } from '../support/engine-harness.ts';
import { liveServerFor } from '../support/live-pair.ts';
import { tempDir } from '../support/temp-dir.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
export const SCREENSHOT = join(OUTPUT, 'viz-live.png');
/** The client chart with every state open (the page's first drawing, shown or not). */
const FULL = '.variants .viewport:first-child svg[data-machine=clientSession]';
/** The client chart's drawing now shown. */
const SHOWN = '.viewport:not([hidden]) svg[data-machine=clientSession]';
/** The viewport of the client chart's shown drawing. */
const shownViewport = (page: Page) =>
  page.locator('.viewport:not([hidden])', { has: page.locator('svg[data-machine=clientSession]') });

/** Labels of the shown client chart: any over another label or over a state it is not
 * inside, and the smallest label as drawn on the screen (px, zoom included). */
const LABEL_CHECK = `(() => {
  const svg = document.querySelector('${SHOWN}');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const labels = [...svg.querySelectorAll('text.label')];
  const boxes = labels.map((t) => t.getBoundingClientRect());
  const states = [...svg.querySelectorAll('g.state')].map((g) => ({ compound: g.classList.contains('compound') && !g.classList.contains('collapsed'), box: g.querySelector('rect').getBoundingClientRect() }));
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const inside = (a, b) => a.left >= b.left && a.top >= b.top && a.right <= b.right && a.bottom <= b.bottom;
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) if (hit(boxes[i], boxes[j])) found.push(labels[i].textContent + ' / ' + labels[j].textContent);
    for (const s of states) if (!(s.compound && inside(boxes[i], s.box)) && hit(boxes[i], s.box)) found.push(labels[i].textContent + ' / a state');
  }
  const smallest = Math.round(100 * Math.min(...labels.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale))) / 100;
  return { found, smallest, count: labels.length };
})()`;

interface LabelFindings {
  found: string[];
  smallest: number;
  count: number;
}

/** Opens every collapsed state of the shown client chart by clicking it. */
async function openAll(page: Page): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const collapsed = page.locator(`${SHOWN} g.state.collapsed`);
    if ((await collapsed.count()) === 0) return;
    await collapsed.first().click();
  }
  assert.fail('collapsed states stay collapsed');
}

describe('visualizer in a browser', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, () => {
  let browser: Browser;

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  after(async () => {
    await browser?.close();
  });

  it('opens the client chart fitted to the width with labels at full size; collapsed states open and close on a click', async () => {
    const dir = tempDir('viz-page');
    await exportCharts(dir);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`file://${join(dir, 'index.html')}`);
    assert.deepEqual(errors, [], 'the page loads without script or SVG errors');
    const drawn = await page
      .locator(`${FULL} g.state`)
      .evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.state));
    for (const node of getStateNodes(clientSessionMachine.root))
      assert.ok(drawn.includes(node.id), node.id);
    // Fitted: the shown drawing is no wider than its viewport, at 100 %, labels legible
    // and apart; the full chart does not fit this window, so compound states are collapsed.
    const fit = await page.locator(SHOWN).evaluate((svg) => ({
      width: svg.getBoundingClientRect().width,
      room: svg.closest('.scroll')!.clientWidth,
      full: Number(
        document.querySelector('.variants .viewport:first-child svg')!.getAttribute('width'),
      ),
      zoom: Number((svg as SVGElement).dataset.zoom),
    }));
    assert.ok(fit.full > fit.room, `the full chart (${fit.full} px) is wider than ${fit.room} px`);
    assert.ok(fit.width <= fit.room, `fitted: ${fit.width} px in ${fit.room} px`);
    assert.equal(fit.zoom, 1);
    const labels = (await page.evaluate(LABEL_CHECK)) as LabelFindings;
    assert.ok(labels.count > 20, 'the fitted chart has its labels');
    assert.deepEqual(labels.found, [], 'no label overlaps another label or a state');
    assert.ok(labels.smallest >= 11, `labels are ${labels.smallest} px on the screen`);
    assert.ok((await page.locator(`${SHOWN} g.state.collapsed`).count()) >= 1);
    mkdirSync(OUTPUT, { recursive: true });
    await shownViewport(page).screenshot({ path: join(OUTPUT, 'viz-client-fit-width.png') });
    // A click on a collapsed state opens it; all open is the full chart.
    await openAll(page);
    assert.equal(
      await page.locator(SHOWN).getAttribute('data-expanded'),
      'clientSession.handshaking clientSession.established',
    );
    const box = await page
      .locator(`${SHOWN} g[data-state="clientSession.established"] rect`)
      .first()
      .boundingBox();
    assert.ok(box !== null && box.width > 0, 'established is drawn with a size');
    // UML notation: an initial pseudo-state (a dot with an arrow) for the machine and for
    // every compound state, pointing at the state it starts in; final states double-bordered.
    const graph = machineGraph('clientSession', 'Client session', clientSessionMachine);
    for (const start of graph.nodes.filter((n) => n.initial)) {
      const marker = page.locator(`${SHOWN} g.pseudo.initial[data-initial-of="${start.id}"]`);
      assert.equal(await marker.count(), 1, `an initial marker for ${start.id}`);
      const arrowEnd = await marker.locator('path').evaluate((path) => {
        const p = path as SVGPathElement;
        const end = p.getPointAtLength(p.getTotalLength());
        return { x: end.x, y: end.y };
      });
      const target = await page
        .locator(`${SHOWN} g[data-state="${start.id}"] > rect`)
        .evaluate((rect) => {
          const { x, y, width, height } = (rect as SVGRectElement).getBBox();
          return { x, y, width, height };
        });
      const near = (v: number, lo: number, hi: number) => v >= lo - 2 && v <= hi + 2;
      assert.ok(
        near(arrowEnd.x, target.x, target.x + target.width) &&
          near(arrowEnd.y, target.y, target.y + target.height),
        `the arrow of ${start.id}'s marker ends at its box`,
      );
    }
    assert.equal(
      await page.locator(`${SHOWN} g.state.final rect.inner`).count(),
      graph.nodes.filter((n) => n.type === 'final').length,
    );
    // A click on an open compound state's title closes it again.
    await page.locator(`${SHOWN} g[data-state="clientSession.established"] > text`).click();
    assert.equal(
      await page.locator(SHOWN).getAttribute('data-expanded'),
      'clientSession.handshaking',
    );
    assert.equal(
      await page
        .locator(`${SHOWN} g.state.collapsed[data-state="clientSession.established"]`)
        .count(),
      1,
    );
    await page.close();
  });

  it('zooms with the wheel and keys, pans by dragging, has a minimap, and keeps labels apart and legible', async () => {
    const dir = tempDir('viz-zoom');
    await exportCharts(dir);
    // A narrow window: the chart, every state open at 100 %, is much wider than it.
    const page = await browser.newPage({ viewport: { width: 640, height: 900 } });
    await page.goto(`file://${join(dir, 'index.html')}`);
    const chart = SHOWN;
    const scroll = shownViewport(page).locator('.scroll');
    const zoom = async () => Number(await page.locator(chart).getAttribute('data-zoom'));
    const width = async () => (await page.locator(chart).boundingBox())!.width;
    assert.ok((await zoom()) < 1, 'fitted to the narrow window by zooming out');
    await scroll.focus();
    await page.keyboard.press('0');
    assert.equal(await zoom(), 1);
    await openAll(page);
    assert.equal(await zoom(), 1, 'opening states keeps the zoom');
    const fullWidth = await width();
    // Labels at 100 %: at least 11 px, none over another or over a state they are not in.
    const { found, smallest, count } = (await page.evaluate(LABEL_CHECK)) as LabelFindings;
    assert.ok(count > 30, 'the client chart has its labels');
    assert.deepEqual(found, [], 'no label overlaps another label or a state');
    assert.ok(smallest >= 11, `labels are ${smallest} px`);
    // Wheel over the chart zooms out; + zooms in; 0 goes back to 100 %.
    await scroll.scrollIntoViewIfNeeded();
    const box = (await scroll.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 200);
    assert.ok((await zoom()) < 1, 'the wheel zoomed out');
    assert.ok((await width()) < fullWidth);
    await scroll.focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    assert.ok((await zoom()) > 1, '+ zoomed in');
    await page.keyboard.press('0');
    assert.equal(await zoom(), 1);
    // Drag pans; the arrow keys pan; the minimap's frame follows and a click there moves the view.
    const left = async () => scroll.evaluate((e) => e.scrollLeft);
    await page.mouse.move(box.x + box.width - 50, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 50, box.y + 100, { steps: 5 });
    await page.mouse.up();
    const dragged = await left();
    assert.ok(dragged > 400, `dragged to ${dragged}`);
    await page.keyboard.press('ArrowLeft');
    assert.ok((await left()) < dragged, 'ArrowLeft panned');
    const minimap = shownViewport(page).locator('.minimap');
    const frameLeft = async () =>
      minimap.locator('.frame').evaluate((e) => Number.parseFloat((e as HTMLElement).style.left));
    const mapBox = (await minimap.boundingBox())!;
    await page.mouse.click(mapBox.x + 5, mapBox.y + mapBox.height / 2);
    assert.equal(await left(), 0, 'a click at the minimap’s left edge shows the chart’s left');
    assert.equal(await frameLeft(), 0);
    await page.mouse.click(mapBox.x + mapBox.width - 5, mapBox.y + mapBox.height / 2);
    assert.ok((await left()) > 400 && (await frameLeft()) > 0, 'and its right edge the right');
    mkdirSync(OUTPUT, { recursive: true });
    await shownViewport(page).screenshot({ path: join(OUTPUT, 'viz-client-chart.png') });
    await page.close();
  });

  it('shows each property with its verdict, and draws a failing one’s counterexample', async () => {
    const { name, title, machine, events } = MACHINES[0]!;
    const graph = machineGraph(name, title, machine, events);
    // Broken on purpose: a FAILURE_NOTICE while probing fails the session.
    const broken = structuredClone(graph);
    const notice = broken.edges.find(
      (e) => e.source === 'clientSession.established.probing' && e.event === 'FAILURE_NOTICE',
    )!;
    notice.targets = ['clientSession.failing'];
    const dir = tempDir('viz-properties');
    const file = join(dir, 'index.html');
    writeFileSync(file, renderPage({ machines: [await laidOutMachine(broken)] }));
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const verdicts = await page
      .locator('table.properties tr[data-property]')
      .evaluateAll((rows) =>
        rows.map(
          (r) =>
            `${(r as HTMLElement).dataset.property} ${r.querySelector('.verdict')?.textContent}`,
        ),
      );
    assert.ok(verdicts.includes('no-fallback-from-the-network-alone FAILS'), verdicts.join('; '));
    assert.ok(verdicts.includes('strict-never-falls-back holds'), verdicts.join('; '));
    const highlighted = await page
      .locator(`${FULL} g.transition.counterexample`)
      .evaluateAll((edges) => edges.map((e) => (e as HTMLElement).dataset.key));
    assert.ok(highlighted.includes(notice.key), `${notice.key} in ${highlighted}`);
    assert.ok(highlighted.includes('clientSession.failing --#2'), 'and failing → fallback');
    await page.close();
  });

  it('replays a recorded trace step by step and shows the model-based coverage', async () => {
    const pair = createPair('fast');
    const trace: SessionTransition[] = [];
    pair.client.events.transitions.subscribe((t) => trace.push(t));
    await discover(pair);
    await pair.clock.advance(2_000);
    assert.ok(trace.length >= 4);
    const graph = machineGraph('clientSession', 'Client session', clientSessionMachine);
    const drawn = graph.edges.filter((e) => e.targets.length > 0);
    const coverage = { clientSession: drawn.slice(0, 5).map((e) => e.key) };
    const dir = tempDir('viz-trace');
    await exportCharts(dir, { trace, coverage });
    const page = await browser.newPage();
    await page.goto(`file://${join(dir, 'index.html')}`);
    assert.match(
      (await page.locator('#coverage-clientSession').textContent()) ?? '',
      new RegExp(`exercised 5 of ${drawn.length}`),
    );
    assert.equal(await page.locator(`${FULL} g.transition.covered`).count(), 5);
    const takenPerStep: { event: string; taken: (string | undefined)[] }[] = [];
    for (const [index, step] of trace.entries()) {
      await page.click('#trace-next');
      const active = await page
        .locator(`${FULL} g.state.active`)
        .evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.state));
      const leaf =
        typeof step.state === 'string'
          ? step.state
          : Object.entries(step.state as object).map(([k, v]) => `${k}.${v}`)[0];
      assert.ok(
        active.includes(`clientSession.${leaf}`),
        `step ${index}: ${JSON.stringify(step.state)} not highlighted (${active})`,
      );
      const taken = await page
        .locator(`${FULL} g.transition.taken`)
        .evaluateAll((edges) => edges.map((e) => (e as HTMLElement).dataset.key));
      takenPerStep.push({ event: step.event, taken });
    }
    // Every step after the first is drawn as the transition it took, into the new state.
    for (const [index, { event, taken }] of takenPerStep.entries()) {
      if (index === 0) continue;
      assert.equal(taken.length, 1, `step ${index} (${event}): one transition taken`);
      const edge = graph.edges.find((e) => e.key === taken[0])!;
      assert.ok(
        edge.event === event || edge.event === '',
        `step ${index}: ${taken[0]} on ${event}`,
      );
    }
    assert.match(
      (await page.locator('#trace-position').textContent()) ?? '',
      new RegExp(`${trace.length} / ${trace.length}`),
    );
    // In the drawing shown (fitted, established collapsed) its box is the active state.
    assert.equal(
      await page
        .locator(`${SHOWN} g.state.collapsed.active[data-state="clientSession.established"]`)
        .count(),
      1,
      'the collapsed box of the active state is highlighted',
    );
    // The timeline: a row per step with its time, transition and epochs; the scrubber and a
    // click on a row move the replay there.
    const rows = page.locator('#timeline tbody tr');
    assert.equal(await rows.count(), trace.length);
    const established = trace.findIndex((t) => JSON.stringify(t.state).includes('established'));
    assert.ok(established > 0);
    const cells = await rows.nth(established).locator('td').allTextContents();
    assert.match(cells[0]!, /^\+\d+\.\d{3} s$/);
    assert.equal(cells[3], 'HANDSHAKE_CONFIRMED');
    assert.equal(cells[4], '0 / 0', 'the epochs at that step');
    await page.locator('#timeline-box summary').click();
    await rows.nth(1).click();
    assert.match((await page.locator('#trace-position').textContent()) ?? '', /^2 \//);
    assert.equal(await page.locator('#timeline tbody tr.current').getAttribute('data-step'), '1');
    await page.locator('#trace-scrubber').fill(String(established));
    assert.match(
      (await page.locator('#trace-position').textContent()) ?? '',
      new RegExp(`^${established + 1} /`),
    );
    await page.close();
  });

  it('the live page follows a session from handshaking to established', async () => {
    const pair = createPair('fast');
    const live = await liveServerFor(pair);
    pair.network.block(SERVER_ADDRESS, 42424);
    await discover(pair);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(live.url);
    const active = () =>
      page
        .locator(`${SHOWN} g.state.active`)
        .evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.state));
    await pair.clock.advance(600);
    await page.waitForFunction(
      (shown) =>
        document.querySelector(`${shown} g.state.active[data-state="clientSession.handshaking"]`),
      SHOWN,
    );
    assert.ok((await active()).includes('clientSession.handshaking.awaitingConfirmation'));
    pair.network.unblock(SERVER_ADDRESS, 42424);
    await pair.clock.advance(1_500);
    await page.waitForFunction(
      (shown) =>
        document.querySelector(`${shown} g.state.active[data-state="clientSession.established"]`),
      SHOWN,
    );
    assert.deepEqual(await active(), ['clientSession.established', 'clientSession.established.up']);
    const taken = await page
      .locator(`${SHOWN} g.transition.taken`)
      .evaluateAll((edges) => edges.map((e) => (e as HTMLElement).dataset.key));
    assert.deepEqual(taken, ['clientSession.handshaking --HANDSHAKE_CONFIRMED#0']);
    assert.equal(await page.locator('#sessions-body tr.shown').count(), 1, 'the followed session');
    const row = await page.locator('#sessions-body tr').first().textContent();
    assert.match(row ?? '', /established/);
    // The live timeline: a row per transition with its time, transition and epochs, the
    // latest one current while following; a click on an earlier row stops following and
    // shows that step; ticking "follow" again goes back to the latest.
    const timeline = page.locator('#timeline tbody tr');
    const rows = await timeline.count();
    assert.ok(rows >= 3, `${rows} rows on the live timeline`);
    assert.equal(
      await page.locator('#timeline tbody tr.current').getAttribute('data-step'),
      String(rows - 1),
    );
    const confirmed = (await timeline.allTextContents()).findIndex((text) =>
      text.includes('HANDSHAKE_CONFIRMED'),
    );
    assert.ok(confirmed >= 0, 'the confirmation is on the timeline');
    assert.equal(
      (await timeline.nth(confirmed).locator('td').allTextContents())[4],
      '0 / 0',
      'with its epochs',
    );
    const earlier = (await timeline.allTextContents()).findIndex((text) =>
      text.includes('awaitingConfirmation'),
    );
    assert.ok(earlier >= 0 && earlier < confirmed);
    await timeline.nth(earlier).click();
    assert.equal(await page.locator('#follow').isChecked(), false, 'following stopped');
    assert.ok((await active()).includes('clientSession.handshaking.awaitingConfirmation'));
    await page.locator('#follow').check();
    assert.deepEqual(await active(), ['clientSession.established', 'clientSession.established.up']);
    assert.equal(
      await page.locator('#timeline tbody tr.current').getAttribute('data-step'),
      String(rows - 1),
    );
    mkdirSync(OUTPUT, { recursive: true });
    await page.locator(`${SHOWN} g.state.active`).first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    process.stdout.write(`# screenshot: ${SCREENSHOT}\n`);
    await page.close();
  });
});
