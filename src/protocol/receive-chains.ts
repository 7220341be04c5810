/**
 * The receiving half of a tunnel's key schedule: the set of receive epochs. Future epochs
 * are derived on demand (at most MAX_EPOCHS_AHEAD past the newest authenticated one) but
 * become "current" only when a packet in them authenticates. Each epoch's keys are erased
 * 120 s after its clock starts: when it is first authenticated, or when a newer epoch
 * authenticates first. A tunnel whose receive side holds no started epoch is dead.
 */
import { wipe } from '../crypto/bytes.ts';
import type { SymmetricPrimitives } from '../crypto/symmetric.ts';
import { KEY_LIFETIME_SECONDS } from './constants.ts';
import { ReceiveEpoch } from './receive-epoch.ts';
import { MAX_EPOCH, startEpoch } from './send-chain.ts';

export const MAX_EPOCHS_AHEAD = 8;
/** Hard cap on epochs held at once, whatever the clock says. */
const MAX_EPOCHS_HELD = 12;

export const EPOCH_LOOKUP_FAILURES = ['expired-epoch', 'epoch-too-far-ahead'] as const;

export type EpochLookup =
  | { ok: true; epoch: ReceiveEpoch }
  | { ok: false; reason: (typeof EPOCH_LOOKUP_FAILURES)[number] };

export class ReceiveChains {
  private readonly epochs = new Map<number, ReceiveEpoch>();
  private nextRoot: Uint8Array | null;
  private nextEpoch: number;
  private newest: number;

  constructor(
    private readonly sym: SymmetricPrimitives,
    root: Uint8Array,
    firstEpoch: number,
    now: number,
  ) {
    this.nextRoot = root.slice();
    this.nextEpoch = firstEpoch;
    this.newest = firstEpoch;
    this.derive().clockStart = now;
  }

  /** The newest epoch in which a packet authenticated (or the first epoch). */
  get newestEpoch(): number {
    return this.newest;
  }

  /** Epochs whose clock has started, oldest first (what the vectors call "held"). */
  startedEpochs(): number[] {
    return [...this.epochs.values()]
      .filter((e) => e.clockStart !== null)
      .map((e) => e.epoch)
      .sort((a, b) => a - b);
  }

  lookup(epoch: number): EpochLookup {
    const existing = this.epochs.get(epoch);
    if (existing !== undefined) return { ok: true, epoch: existing };
    if (epoch < this.nextEpoch) return { ok: false, reason: 'expired-epoch' };
    if (epoch > this.newest + MAX_EPOCHS_AHEAD || epoch > MAX_EPOCH)
      return { ok: false, reason: 'epoch-too-far-ahead' };
    let derived = this.derive();
    while (derived.epoch < epoch) derived = this.derive();
    return { ok: true, epoch: derived };
  }

  /** Called after a packet in `epoch` authenticated. Returns true if it is a new newest. */
  authenticated(epoch: ReceiveEpoch, now: number): boolean {
    epoch.clockStart ??= now;
    if (epoch.epoch <= this.newest) return false;
    for (const older of this.epochs.values()) {
      if (older.epoch < epoch.epoch) older.clockStart ??= now;
    }
    this.newest = epoch.epoch;
    this.enforceCap();
    return true;
  }

  /** Makes the epoch after the newest current (a cookie arrived). */
  advanceNewest(now: number): boolean {
    if (this.newest >= MAX_EPOCH) return false;
    const next = this.lookup(this.newest + 1);
    return next.ok && this.authenticated(next.epoch, now);
  }

  /** Erases epochs whose 120 s are over. Returns whether any started epoch remains. */
  expire(now: number): boolean {
    for (const [number, epoch] of this.epochs) {
      if (epoch.clockStart !== null && now - epoch.clockStart >= KEY_LIFETIME_SECONDS) {
        epoch.close();
        this.epochs.delete(number);
      }
    }
    return this.isAlive();
  }

  isAlive(): boolean {
    for (const epoch of this.epochs.values()) if (epoch.clockStart !== null) return true;
    return false;
  }

  /** r_e for e = `epoch` + 1 ≥ the next underived epoch (derives up to it), for cookies. */
  rootAfter(epoch: number): Uint8Array | null {
    while (this.nextEpoch <= epoch && this.nextRoot !== null) this.derive();
    if (this.nextEpoch !== epoch + 1 || this.nextRoot === null) return null;
    return this.nextRoot.slice();
  }

  /** Bytes of key material held across all epochs (for memory bounds). */
  keyMaterialBytes(): number {
    let total = 0;
    for (const epoch of this.epochs.values()) total += epoch.heldKeyBytes;
    return total;
  }

  /** The highest epoch derived so far (current or speculative). */
  get highestDerived(): number {
    return this.nextEpoch - 1;
  }

  close(): void {
    for (const epoch of this.epochs.values()) epoch.close();
    this.epochs.clear();
    wipe(this.nextRoot);
    this.nextRoot = null;
  }

  private derive(): ReceiveEpoch {
    if (this.nextRoot === null) throw new Error('receive chains are closed');
    const { nextRoot, chain } = startEpoch(this.sym, this.nextRoot);
    wipe(this.nextRoot);
    const epoch = new ReceiveEpoch(this.sym, this.nextEpoch, chain);
    this.epochs.set(this.nextEpoch, epoch);
    this.nextEpoch++;
    if (this.nextEpoch > MAX_EPOCH) {
      wipe(nextRoot);
      this.nextRoot = null;
    } else {
      this.nextRoot = nextRoot;
    }
    return epoch;
  }

  private enforceCap(): void {
    const numbers = [...this.epochs.keys()].sort((a, b) => a - b);
    while (numbers.length > MAX_EPOCHS_HELD) {
      const oldest = numbers.shift()!;
      this.epochs.get(oldest)?.close();
      this.epochs.delete(oldest);
    }
  }
}
