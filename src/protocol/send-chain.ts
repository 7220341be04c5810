/**
 * The sending half of a tunnel's key schedule. Epoch e has root r_e;
 * (r_{e+1}, c) = KDF(2, r_e), and each chain step (c', k_j..k_{j+17}) = KDF(19, c) gives
 * the next 18 packet keys. Every key is used once; roots, chain keys and packet keys are
 * erased as soon as they have served.
 */
import { wipe } from '../crypto/bytes.ts';
import { kdfBytes } from '../crypto/kdf.ts';
import { KEY_BYTES, type SymmetricPrimitives } from '../crypto/symmetric.ts';
import { KEYS_PER_CHAIN_STEP } from './constants.ts';

export const MAX_EPOCH = 0xffff;
const MAX_COUNTER = 0xffff_ffff;

/** Starts epoch `root` belongs to: returns (next epoch's root, first chain key). */
export function startEpoch(
  sym: SymmetricPrimitives,
  root: Uint8Array,
): { nextRoot: Uint8Array; chain: Uint8Array } {
  const out = kdfBytes(sym, 2, root);
  return { nextRoot: out.slice(0, KEY_BYTES), chain: wipeAfterSlice(out, KEY_BYTES) };
}

/** One chain step: the next chain key and a block of 18 packet keys (18·32 bytes). */
export function chainStep(
  sym: SymmetricPrimitives,
  chain: Uint8Array,
): { chain: Uint8Array; keys: Uint8Array } {
  const out = kdfBytes(sym, 1 + KEYS_PER_CHAIN_STEP, chain);
  const next = out.slice(0, KEY_BYTES);
  const keys = out.slice(KEY_BYTES);
  wipe(out);
  return { chain: next, keys };
}

function wipeAfterSlice(out: Uint8Array, from: number): Uint8Array {
  const rest = out.slice(from);
  wipe(out);
  return rest;
}

export class SendChain {
  private nextRoot: Uint8Array;
  private chain: Uint8Array;
  private keys: Uint8Array = new Uint8Array(0);
  private used = 0;
  private counterValue = 0;
  private epochValue: number;

  constructor(
    private readonly sym: SymmetricPrimitives,
    root: Uint8Array,
    epoch: number,
  ) {
    this.epochValue = epoch;
    ({ nextRoot: this.nextRoot, chain: this.chain } = startEpoch(sym, root));
  }

  get epoch(): number {
    return this.epochValue;
  }

  /** True when the epoch can still advance (the wire epoch is 16 bits). */
  canAdvance(): boolean {
    return this.epochValue < MAX_EPOCH;
  }

  /** The key for the next packet: a view into the chain's key block, valid until the next
   * call; the caller erases it (key.fill(0)) right after sealing. */
  next(): { epoch: number; counter: number; key: Uint8Array } {
    if (this.counterValue > MAX_COUNTER) this.advance();
    if (this.used === this.keys.length / KEY_BYTES) this.refill();
    const offset = this.used * KEY_BYTES;
    const key = this.keys.subarray(offset, offset + KEY_BYTES);
    this.used++;
    return { epoch: this.epochValue, counter: this.counterValue++, key };
  }

  /** Moves to the next epoch, erasing everything of the current one. */
  advance(): void {
    if (!this.canAdvance()) throw new Error('tunnel epoch space exhausted');
    wipe(this.chain, this.keys);
    const root = this.nextRoot;
    ({ nextRoot: this.nextRoot, chain: this.chain } = startEpoch(this.sym, root));
    wipe(root);
    this.keys = new Uint8Array(0);
    this.used = 0;
    this.counterValue = 0;
    this.epochValue++;
  }

  /** A copy of r_{epoch+1} (what a cookie carries). */
  nextEpochRoot(): Uint8Array {
    return this.nextRoot.slice();
  }

  close(): void {
    wipe(this.nextRoot, this.chain, this.keys);
  }

  private refill(): void {
    wipe(this.keys);
    const step = chainStep(this.sym, this.chain);
    wipe(this.chain);
    this.chain = step.chain;
    this.keys = step.keys;
    this.used = 0;
  }
}
