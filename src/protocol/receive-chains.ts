/**
 * The receiving half of a tunnel's key schedule: the set of receive epochs. Future epochs
 * are derived on demand (at most MAX_EPOCHS_AHEAD past the newest authenticated one) but
 * become "current" only when a packet in them authenticates. Each epoch's keys are erased
 * 120 s after its clock starts: when it is first authenticated, or when a newer epoch
 * authenticates first. A tunnel whose receive side holds no started epoch is dead.
 */
import { wipe } from '../crypto/bytes.ts';
import { KEY_BYTES, type SymmetricPrimitives } from '../crypto/symmetric.ts';
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

/** Bytes the receive chains keep in their owner's buffer: r_e of the next epoch to derive,
 * then the first epoch's first chain key (a tunnel that stays in its first epoch, as most
 * do between handshake and first traffic, holds no key of its own elsewhere). */
export const RECEIVE_CHAINS_BYTES = 2 * KEY_BYTES;
const FIRST_CHAIN_AT = KEY_BYTES;

/**
 * The receive epochs of one direction. The next root and the first epoch's chain key live
 * in `RECEIVE_CHAINS_BYTES` of a buffer the owner gives it (a tunnel keeps all its
 * fixed-size keys in one buffer), at `at`; the epochs, few at a time, in a list ordered by
 * number.
 */
export class ReceiveChains {
  /** Made from its first epoch, so a tunnel with one epoch holds a list of one. */
  private readonly epochs: ReceiveEpoch[];
  /** False once every epoch up to MAX_EPOCH is derived or the chains are closed. */
  private hasNextRoot = true;
  private nextEpoch: number;
  private newest: number;

  constructor(
    private readonly sym: SymmetricPrimitives,
    private readonly state: Uint8Array,
    private readonly at: number,
    root: Uint8Array,
    firstEpoch: number,
    now: number,
  ) {
    state.set(root, at);
    this.nextEpoch = firstEpoch;
    this.newest = firstEpoch;
    const firstChainAt = at + FIRST_CHAIN_AT;
    const first = this.deriveNext(state.subarray(firstChainAt, firstChainAt + KEY_BYTES));
    first.clockStart = now;
    this.epochs = [first];
  }

  /** The newest epoch in which a packet authenticated (or the first epoch). */
  get newestEpoch(): number {
    return this.newest;
  }

  /** Epochs whose clock has started, oldest first (what the vectors call "held"). */
  startedEpochs(): number[] {
    return this.epochs.filter((e) => e.clockStart !== null).map((e) => e.epoch);
  }

  lookup(epoch: number): EpochLookup {
    for (const held of this.epochs) if (held.epoch === epoch) return { ok: true, epoch: held };
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
    for (const older of this.epochs) {
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
    let kept = 0;
    for (const epoch of this.epochs) {
      if (epoch.clockStart !== null && now - epoch.clockStart >= KEY_LIFETIME_SECONDS)
        epoch.close();
      else this.epochs[kept++] = epoch;
    }
    this.epochs.length = kept;
    return this.isAlive();
  }

  isAlive(): boolean {
    for (const epoch of this.epochs) if (epoch.clockStart !== null) return true;
    return false;
  }

  /** r_e for e = `epoch` + 1 ≥ the next underived epoch (derives up to it), for cookies. */
  rootAfter(epoch: number): Uint8Array | null {
    while (this.nextEpoch <= epoch && this.hasNextRoot) this.derive();
    if (this.nextEpoch !== epoch + 1 || !this.hasNextRoot) return null;
    return this.state.slice(this.at, this.at + KEY_BYTES);
  }

  /** Bytes of key material held across all epochs (for memory bounds). */
  keyMaterialBytes(): number {
    let total = 0;
    for (const epoch of this.epochs) total += epoch.heldKeyBytes;
    return total;
  }

  /** The highest epoch derived so far (current or speculative). */
  get highestDerived(): number {
    return this.nextEpoch - 1;
  }

  close(): void {
    for (const epoch of this.epochs) epoch.close();
    this.epochs.length = 0;
    this.eraseNextRoot();
    this.state.fill(0, this.at + FIRST_CHAIN_AT, this.at + RECEIVE_CHAINS_BYTES);
  }

  private derive(): ReceiveEpoch {
    const epoch = this.deriveNext();
    this.epochs.push(epoch);
    return epoch;
  }

  /** The next epoch's keys from the held root, which moves on (or is erased at the end);
   * its first chain key is kept in `chainKeyHome` when given (and erased from the KDF's
   * output). */
  private deriveNext(chainKeyHome?: Uint8Array): ReceiveEpoch {
    if (!this.hasNextRoot) throw new Error('receive chains are closed');
    const { nextRoot, chain } = startEpoch(
      this.sym,
      this.state.subarray(this.at, this.at + KEY_BYTES),
    );
    let firstChainKey = chain;
    if (chainKeyHome !== undefined) {
      chainKeyHome.set(chain);
      wipe(chain);
      firstChainKey = chainKeyHome;
    }
    const epoch = new ReceiveEpoch(this.sym, this.nextEpoch, firstChainKey);
    this.nextEpoch++;
    if (this.nextEpoch > MAX_EPOCH) this.eraseNextRoot();
    else this.state.set(nextRoot, this.at);
    wipe(nextRoot);
    return epoch;
  }

  private eraseNextRoot(): void {
    this.state.fill(0, this.at, this.at + KEY_BYTES);
    this.hasNextRoot = false;
  }

  /** Keeps the newest MAX_EPOCHS_HELD epochs (the list is ordered, oldest first). */
  private enforceCap(): void {
    const excess = this.epochs.length - MAX_EPOCHS_HELD;
    if (excess <= 0) return;
    for (const oldest of this.epochs.splice(0, excess)) oldest.close();
  }
}
