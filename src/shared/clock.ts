/**
 * Time as every layer sees it: milliseconds since the Unix epoch plus timers. The daemon
 * uses the system clock; tests and simulations use a virtual clock (engine/clock.ts) that
 * only moves when told to. The same clock drives the XState actors (their `after` delays)
 * and every engine timer.
 */
export interface EngineClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: EngineClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Protocol time in seconds (the pq1 key schedule counts seconds). */
export function seconds(clock: EngineClock): number {
  return clock.now() / 1000;
}
