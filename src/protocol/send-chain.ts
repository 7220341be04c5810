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

/** Bytes a send chain keeps: r_{e+1}, the chain key c and the current block of 18 keys,
 * laid out as KDF(2, r_e) and KDF(19, c) write them (the chain key and its block together). */
export const SEND_CHAIN_BYTES = 2 * KEY_BYTES + KEYS_PER_CHAIN_STEP * KEY_BYTES;
const CHAIN_AT = KEY_BYTES;
const BLOCK_AT = 2 * KEY_BYTES;

/**
 * The sending side of one direction. Its keys live in `SEND_CHAIN_BYTES` of a buffer the
 * owner gives it (a tunnel keeps all of its fixed-size keys in one buffer), at `at`.
 */
export class SendChain {
  /** Keys of the current block already handed out (a full count: no block yet). */
  private used = KEYS_PER_CHAIN_STEP;
  private counterValue = 0;
  private epochValue: number;

  constructor(
    private readonly sym: SymmetricPrimitives,
    private readonly state: Uint8Array,
    private readonly at: number,
    root: Uint8Array,
    epoch: number,
  ) {
    this.epochValue = epoch;
    this.startFrom(root);
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
    if (this.used === KEYS_PER_CHAIN_STEP) this.refill();
    const offset = this.at + BLOCK_AT + this.used * KEY_BYTES;
    const key = this.state.subarray(offset, offset + KEY_BYTES);
    this.used++;
    return { epoch: this.epochValue, counter: this.counterValue++, key };
  }

  /** Moves to the next epoch, erasing everything of the current one. */
  advance(): void {
    if (!this.canAdvance()) throw new Error('tunnel epoch space exhausted');
    this.startFrom(this.state.subarray(this.at, this.at + KEY_BYTES));
    this.used = KEYS_PER_CHAIN_STEP;
    this.counterValue = 0;
    this.epochValue++;
  }

  /** A copy of r_{epoch+1} (what a cookie carries). */
  nextEpochRoot(): Uint8Array {
    return this.state.slice(this.at, this.at + KEY_BYTES);
  }

  close(): void {
    this.state.fill(0, this.at, this.at + SEND_CHAIN_BYTES);
  }

  /** (r_{e+1}, c) = KDF(2, r_e); everything of the epoch before is erased. */
  private startFrom(root: Uint8Array): void {
    const out = kdfBytes(this.sym, 2, root);
    this.close();
    this.state.set(out, this.at);
    wipe(out);
  }

  /** (c', k_j … k_{j+17}) = KDF(19, c), written over c and the used-up block. */
  private refill(): void {
    const out = kdfBytes(this.sym, 1 + KEYS_PER_CHAIN_STEP, this.chainKey());
    this.state.set(out, this.at + CHAIN_AT);
    wipe(out);
    this.used = 0;
  }

  private chainKey(): Uint8Array {
    return this.state.subarray(this.at + CHAIN_AT, this.at + BLOCK_AT);
  }
}
