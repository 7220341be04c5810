/**
 * One engine timer that visits every tunnel in turn, instead of a timer per session: each
 * second it visits the next fifth of the tunnels, so every tunnel is visited at least every
 * 5 s (epochs past 120 s erased, a keepalive where due, a dead tunnel reported). The
 * tunnels are read live from the owner's map, so ones added or removed between visits
 * are picked up or skipped without bookkeeping.
 */
import type { EngineClock } from '../shared/clock.ts';

export const SWEEP_TICK_MS = 1_000;
/** Ticks per full pass over the tunnels: each is visited at least every 5 s. */
export const SWEEP_TICKS_PER_PASS = 5;

export interface SweptCollection<T> {
  readonly size: number;
  values(): IterableIterator<T>;
}

export class MaintenanceSweep<T> {
  private cursor: IterableIterator<T> | null = null;
  private timer: unknown = null;

  constructor(
    private readonly clock: EngineClock,
    private readonly items: SweptCollection<T>,
    private readonly visit: (item: T, now: number) => void,
  ) {}

  start(): void {
    if (this.timer === null) this.schedule();
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.cursor = null;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), SWEEP_TICK_MS);
  }

  private tick(): void {
    const now = this.clock.now();
    let remaining = Math.ceil(this.items.size / SWEEP_TICKS_PER_PASS);
    while (remaining > 0) {
      this.cursor ??= this.items.values();
      let next = this.cursor.next();
      if (next.done === true) {
        this.cursor = this.items.values();
        next = this.cursor.next();
        if (next.done === true) break;
      }
      this.visit(next.value, now);
      remaining--;
    }
    this.schedule();
  }
}
