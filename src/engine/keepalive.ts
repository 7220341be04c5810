/**
 * Keepalive policy shared by both engines: while a tunnel carried inner traffic in the
 * last 90 s, send an empty tunnel packet after 15 s without sending anything, so the
 * peer's receive side (dead after 120 s without packets) stays alive through short
 * silences. An idle tunnel is left to expire and is re-established on demand.
 */

export const KEEPALIVE_AFTER_MS = 15_000;
export const ACTIVE_WINDOW_MS = 90_000;

export interface KeepaliveTimes {
  lastSent: number;
  lastReceived: number;
  lastInnerTraffic: number;
}

export function keepaliveDue(times: KeepaliveTimes, now: number): boolean {
  return (
    now - times.lastSent >= KEEPALIVE_AFTER_MS && now - times.lastInnerTraffic < ACTIVE_WINDOW_MS
  );
}
