/**
 * The server's maintenance sweep (virtual time): every tunnel is visited at least every 5 s (and
 * not much more often),
 * tunnels added or removed between ticks are picked up or skipped, stop() cancels.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/engine/clock.ts';
import {
  MaintenanceSweep,
  SWEEP_TICK_MS,
  SWEEP_TICKS_PER_PASS,
} from '../../src/engine/maintenance-sweep.ts';

const PASS_MS = SWEEP_TICK_MS * SWEEP_TICKS_PER_PASS;

function sweepOver(items: Map<number, number>, clock: VirtualClock) {
  const visits = new Map<number, number[]>();
  const sweep = new MaintenanceSweep(clock, items, (item, now) => {
    visits.set(item, [...(visits.get(item) ?? []), now]);
  });
  return { sweep, visits };
}

describe('maintenance sweep (virtual time)', () => {
  it('visits each of 23 tunnels at least every 5 s, a fifth of them per tick', async () => {
    const clock = new VirtualClock(0);
    const items = new Map(Array.from({ length: 23 }, (_, i) => [i, i]));
    const { sweep, visits } = sweepOver(items, clock);
    sweep.start();
    await clock.advance(SWEEP_TICK_MS);
    const afterOneTick = [...visits.keys()].length;
    assert.equal(afterOneTick, Math.ceil(23 / SWEEP_TICKS_PER_PASS));
    await clock.advance(PASS_MS * 3 - SWEEP_TICK_MS);
    assert.equal(visits.size, 23);
    for (const [item, times] of visits) {
      assert.ok(times[0]! <= PASS_MS, `tunnel ${item} first visited at ${times[0]}`);
      for (let i = 1; i < times.length; i++)
        assert.ok(times[i]! - times[i - 1]! <= PASS_MS, `tunnel ${item} visited at ${times}`);
      assert.ok(times.length <= 4, `tunnel ${item} visited ${times.length} times in 3 passes`);
    }
    sweep.stop();
  });

  it('a tunnel added between ticks is visited within a pass; a removed one no more', async () => {
    const clock = new VirtualClock(0);
    const items = new Map([
      [1, 1],
      [2, 2],
    ]);
    const { sweep, visits } = sweepOver(items, clock);
    sweep.start();
    await clock.advance(SWEEP_TICK_MS);
    items.set(3, 3);
    items.delete(2);
    const removedSeen = visits.get(2)?.length ?? 0;
    await clock.advance(PASS_MS * 2);
    assert.ok((visits.get(3)?.length ?? 0) >= 2, `added tunnel visits ${visits.get(3)}`);
    assert.equal(visits.get(2)?.length ?? 0, removedSeen, 'removed tunnel visited again');
    sweep.stop();
  });

  it('stop() cancels the timer: nothing is visited afterwards', async () => {
    const clock = new VirtualClock(0);
    const { sweep, visits } = sweepOver(new Map([[1, 1]]), clock);
    sweep.start();
    sweep.stop();
    await clock.advance(PASS_MS * 2);
    assert.equal(visits.size, 0);
  });
});
