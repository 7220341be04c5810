/**
 * What root itself let through to applications: the (internal, real) address pairs of
 * the DNS answers it passed after checking the worker's verdict. A plain-fallback route
 * is accepted only for such a pair, until max(TTL, 5 min) after the answer passed.
 * Bounded: at most 4,096 pairs, the oldest forgotten first. Time is a parameter (ms).
 */
import type { AddressPair } from '../streams/dns-verdict.ts';

const MIN_WINDOW_MS = 300_000;
const MAX_PAIRS = 4_096;

export class PassedAnswers {
  private readonly pairs = new Map<string, number>();

  remember(pairs: readonly AddressPair[], now: number): void {
    for (const pair of pairs) {
      const key = `${pair.internalAddress}>${pair.realAddress}`;
      this.pairs.delete(key);
      if (this.pairs.size >= MAX_PAIRS) {
        const oldest = this.pairs.keys().next().value;
        if (oldest !== undefined) this.pairs.delete(oldest);
      }
      this.pairs.set(key, now + Math.max(MIN_WINDOW_MS, pair.ttl * 1000));
    }
  }

  /** Whether root passed an answer mapping `internal` to `real` recently enough. */
  passed(internal: number, real: number, now: number): boolean {
    const until = this.pairs.get(`${internal}>${real}`);
    return until !== undefined && now <= until;
  }
}
