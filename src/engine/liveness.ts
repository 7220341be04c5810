/**
 * The client's liveness facts about one tunnel and the pure decisions made from them
 * (docs/session-rules.md). Only authenticated tunnel packets update `lastAuthenticated`
 * and clear `firstUnansweredSend`; nothing an off-path attacker can send moves them.
 * Times are milliseconds, passed in.
 */
import { LIVENESS } from '../actors/client-session.ts';

export interface PeerLiveness {
  /** The last authenticated tunnel packet from the server (any, keepalives included). */
  lastAuthenticated: number;
  /** The last authenticated packet that carried inner data. */
  lastDataReceived: number;
  /** The first inner data sent after the last authenticated receive, or null. */
  firstUnansweredSend: number | null;
  /** When the last keepalive probe (after a `03 00` notice) went out. */
  probeSentAt: number;
  /** When a dead tunnel last led to a new handshake. */
  lastReconnectAt: number;
  /** When key-server answers that cannot be genuine were last seen. */
  forgeryAt: number;
}

export const FORGERY_MEMORY_MS = 120_000;

export function newLiveness(): PeerLiveness {
  return {
    lastAuthenticated: Number.NEGATIVE_INFINITY,
    lastDataReceived: Number.NEGATIVE_INFINITY,
    firstUnansweredSend: null,
    probeSentAt: Number.POSITIVE_INFINITY,
    lastReconnectAt: Number.NEGATIVE_INFINITY,
    forgeryAt: Number.NEGATIVE_INFINITY,
  };
}

export function noteAuthenticated(liveness: PeerLiveness, now: number, carriesData: boolean): void {
  liveness.lastAuthenticated = now;
  liveness.firstUnansweredSend = null;
  if (carriesData) liveness.lastDataReceived = now;
}

export function noteDataSent(liveness: PeerLiveness, now: number): void {
  if (liveness.firstUnansweredSend === null) liveness.firstUnansweredSend = now;
}

export function peerUnresponsive(liveness: PeerLiveness, now: number): boolean {
  return (
    liveness.firstUnansweredSend !== null &&
    now - liveness.firstUnansweredSend >= LIVENESS.unansweredMs
  );
}

export function probeAnswered(liveness: PeerLiveness): boolean {
  return liveness.lastAuthenticated >= liveness.probeSentAt;
}

export function reconnectAllowed(liveness: PeerLiveness, now: number): boolean {
  return now - liveness.lastReconnectAt >= LIVENESS.noticeReconnectIntervalMs;
}

export function forgeryRecent(liveness: PeerLiveness, now: number): boolean {
  return now - liveness.forgeryAt < FORGERY_MEMORY_MS;
}
