/**
 * The server's ephemeral key pairs (sntrup761 + X25519), one per 30-second wall-clock
 * slot. It hands out the current slot's public keys, offers the secret keys of every slot
 * started less than 120 s ago (newest first) to the handshake responder, and erases a
 * slot's secrets 120 s after the slot starts.
 */
import { wipe } from '../crypto/bytes.ts';
import { EPOCH_SECONDS, KEY_LIFETIME_SECONDS } from '../protocol/constants.ts';
import { slotOf } from '../protocol/cookie.ts';
import type { EphemeralSecrets } from '../protocol/handshake.ts';

export interface EphemeralKeyPair {
  ekemPk: Uint8Array;
  ekemSk: Uint8Array;
  x25519Pk: Uint8Array;
  x25519Sk: Uint8Array;
}

export class EphemeralKeyStore {
  private readonly slots = new Map<number, EphemeralKeyPair>();

  /** Slots from the current one to `ahead` slots later that have no keys yet. */
  missingSlots(nowSeconds: number, ahead: number): number[] {
    const current = slotOf(nowSeconds);
    const missing: number[] = [];
    for (let i = 0; i <= ahead; i++) {
      const slot = current + i * EPOCH_SECONDS;
      if (!this.slots.has(slot)) missing.push(slot);
    }
    return missing;
  }

  add(slot: number, keys: EphemeralKeyPair): void {
    const previous = this.slots.get(slot);
    if (previous !== undefined) wipe(previous.ekemSk, previous.x25519Sk);
    this.slots.set(slot, keys);
  }

  current(nowSeconds: number): { ekemPk: Uint8Array; x25519Pk: Uint8Array } | null {
    const keys = this.slots.get(slotOf(nowSeconds));
    return keys === undefined ? null : { ekemPk: keys.ekemPk, x25519Pk: keys.x25519Pk };
  }

  /** Secrets of the slots that have started and are less than 120 s old, newest first. */
  secretsNewestFirst(nowSeconds: number): EphemeralSecrets[] {
    return [...this.slots.entries()]
      .filter(([slot]) => slot <= nowSeconds && nowSeconds - slot < KEY_LIFETIME_SECONDS)
      .sort(([a], [b]) => b - a)
      .map(([, keys]) => ({ ekemSk: keys.ekemSk, x25519Sk: keys.x25519Sk }));
  }

  /** Erases every slot that started 120 s ago or earlier; returns how many. */
  eraseExpired(nowSeconds: number): number {
    let erased = 0;
    for (const [slot, keys] of this.slots) {
      if (nowSeconds - slot >= KEY_LIFETIME_SECONDS) {
        wipe(keys.ekemSk, keys.x25519Sk);
        this.slots.delete(slot);
        erased++;
      }
    }
    return erased;
  }

  /** Slot start times held (no key material), for status and tests. */
  heldSlots(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  close(): void {
    for (const keys of this.slots.values()) wipe(keys.ekemSk, keys.x25519Sk);
    this.slots.clear();
  }
}
