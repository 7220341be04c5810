/**
 * Token buckets per source, bounding what unauthenticated senders can make an engine do
 * (e.g. handshakes, each costing a McEliece decapsulation). At most `maxSources` buckets
 * are kept; the oldest is forgotten first, so a spoofer rotating addresses costs memory
 * bounded by that number. An infinite rate means no limit. Time is a parameter (ms).
 */

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxSources = 4096,
  ) {}

  /** Takes one token for `source`; false when its bucket is empty. */
  allow(source: string, now: number): boolean {
    if (this.perSecond === Number.POSITIVE_INFINITY) return true;
    const bucket = this.buckets.get(source);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      this.buckets.set(source, { tokens: this.burst - 1, at: now });
      return true;
    }
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
