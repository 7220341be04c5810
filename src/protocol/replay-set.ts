/**
 * The responder's memory of accepted handshakes: a c0 accepted in the last 120 s is a
 * replay. Entries expire by the caller's clock (seconds), so tests run on virtual time.
 */
import { toHex } from '../crypto/bytes.ts';
import { KEY_LIFETIME_SECONDS } from './constants.ts';

export class ReplaySet {
  private readonly seenAt = new Map<string, number>();

  constructor(private readonly lifetimeSeconds = KEY_LIFETIME_SECONDS) {}

  has(c0: Uint8Array, now: number): boolean {
    this.sweep(now);
    return this.seenAt.has(toHex(c0));
  }

  add(c0: Uint8Array, now: number): void {
    this.seenAt.set(toHex(c0), now);
  }

  get size(): number {
    return this.seenAt.size;
  }

  /** Forgets entries older than the lifetime (Map keeps insertion order = time order). */
  sweep(now: number): void {
    for (const [key, at] of this.seenAt) {
      if (now - at < this.lifetimeSeconds) break;
      this.seenAt.delete(key);
    }
  }
}
