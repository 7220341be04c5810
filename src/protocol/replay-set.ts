/**
 * The responder's memory of accepted handshakes: a c0 accepted in the last 120 s is a
 * replay. An entry is the first 16 bytes of H(c0), held as a 16-character string (a
 * McEliece ciphertext spelled in hex would take 388): at 100,000 handshakes in 120 s that
 * is a few MB, not tens. Entries expire by the caller's clock (seconds), so tests run on
 * virtual time.
 */
import type { SymmetricPrimitives } from '../crypto/symmetric.ts';
import { KEY_LIFETIME_SECONDS } from './constants.ts';

/** Bytes of H(c0) an entry keeps: a false replay needs a 128-bit collision. */
const ENTRY_BYTES = 16;

/** What the set remembers of one c0 (computed once per handshake, checked twice). */
export type ReplayEntry = string & { readonly replayEntry: unique symbol };

export class ReplaySet {
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly sym: SymmetricPrimitives,
    private readonly lifetimeSeconds = KEY_LIFETIME_SECONDS,
  ) {}

  entryFor(c0: Uint8Array): ReplayEntry {
    return String.fromCharCode(...this.sym.hash(c0).subarray(0, ENTRY_BYTES)) as ReplayEntry;
  }

  has(entry: ReplayEntry, now: number): boolean {
    this.sweep(now);
    return this.seenAt.has(entry);
  }

  add(entry: ReplayEntry, now: number): void {
    this.seenAt.set(entry, now);
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
