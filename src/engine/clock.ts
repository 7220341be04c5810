/**
 * Virtual time for tests and simulations: timers fire only when `advance` is called, so
 * minutes of protocol life run in milliseconds (the interface is shared/clock.ts).
 */
import type { EngineClock } from '../shared/clock.ts';

/** Lets promise callbacks and I/O completions queued so far run. */
async function settle(rounds = 2): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Timer {
  due: number;
  sequence: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * Discrete-event virtual time. `advance` fires timers in due order, each at its own due
 * time, and before each one waits until asynchronous work registered with `track` (KEM
 * calls on other threads) has finished, so real computation takes no virtual time and
 * timeouts never fire merely because a thread pool was slow.
 */
export class VirtualClock implements EngineClock {
  private current: number;
  private sequence = 0;
  private readonly heap: Timer[] = [];
  private pending = 0;

  constructor(startMs = 1_740_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = {
      due: this.current + Math.max(0, ms),
      sequence: this.sequence++,
      callback,
      cancelled: false,
    };
    this.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle !== null && typeof handle === 'object') (handle as Timer).cancelled = true;
  }

  /** Timers set and neither fired nor cleared (for tests that check nothing is left). */
  pendingTimers(): number {
    let count = 0;
    for (const timer of this.heap) if (!timer.cancelled) count++;
    return count;
  }

  /** Registers asynchronous work that virtual time must wait for. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending++;
    return work.finally(() => {
      this.pending--;
    });
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await this.quiesce();
      const next = this.heap[0];
      if (next === undefined || next.due > target) break;
      this.pop();
      if (next.cancelled) continue;
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = target;
    await this.quiesce();
  }

  private async quiesce(): Promise<void> {
    await settle();
    while (this.pending > 0) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      await settle();
    }
  }

  private before(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.sequence < b.sequence);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}
