/**
 * The receive keys of one epoch. Packet keys come in blocks of 18, block b produced by
 * KDF(19, c_b) together with the next chain key c_{b+1}. The epoch remembers c_b for
 * every block still in its window (in lists that start at the window's lowest block) and materialises a block's 18 keys only when a packet
 * for it arrives, so skipping far ahead after a loss burst costs 32 bytes per block.
 *
 * Rules: each key opens at most one packet and is erased when used; blocks more than
 * REORDER_WINDOW counters behind the highest authenticated counter are erased; keys are
 * derived at most MAX_SKIP counters past it. Only authenticated packets move the window,
 * so a forged packet can cost some hashing (cached) but never a lost genuine packet.
 */
import { KEY_BYTES, type SymmetricPrimitives } from '../crypto/symmetric.ts';
import { KEYS_PER_CHAIN_STEP } from './constants.ts';
import { chainStep } from './send-chain.ts';

/** Counters accepted past the highest authenticated one: a loss burst this long survives. */
export const MAX_SKIP = 8192;
/** Counters kept behind the highest authenticated one: the tolerated reordering depth. */
export const REORDER_WINDOW = 1024;

const FULL_MASK = (1 << KEYS_PER_CHAIN_STEP) - 1;

interface KeyBlock {
  keys: Uint8Array;
  /** Bit i set = key i of the block is still unused. */
  unused: number;
  /** Whether any key of the block has authenticated a packet. */
  touched: boolean;
}

export const KEY_LOOKUP_FAILURES = ['replayed-or-expired', 'too-far-ahead'] as const;

export type KeyLookup =
  | { ok: true; key: Uint8Array }
  | { ok: false; reason: (typeof KEY_LOOKUP_FAILURES)[number] };

export class ReceiveEpoch {
  /** When the epoch's 120 s clock started (first authenticated use), or null if not yet. */
  clockStart: number | null = null;
  /** c_b at [b - lowestBlock] for lowestBlock ≤ b ≤ frontier, unless used up or pruned. */
  private readonly chainKeys: (Uint8Array | undefined)[];
  /** Materialised blocks at [b - lowestBlock], for b < frontier. */
  private readonly blocks: (KeyBlock | undefined)[] = [];
  private frontier = 0;
  private lowestBlock = 0;
  private highest = -1;

  constructor(
    private readonly sym: SymmetricPrimitives,
    readonly epoch: number,
    firstChainKey: Uint8Array,
  ) {
    this.chainKeys = [firstChainKey];
  }

  /** The key for `counter` if it is still available (derives forward as needed). */
  key(counter: number): KeyLookup {
    const index = Math.floor(counter / KEYS_PER_CHAIN_STEP);
    if (index > this.frontier) {
      if (counter > this.highest + MAX_SKIP) return { ok: false, reason: 'too-far-ahead' };
      while (this.frontier < index) this.advanceFrontier();
    }
    const block = this.blockAt(index) ?? this.materialise(index);
    const slot = counter % KEYS_PER_CHAIN_STEP;
    if (block === null || (block.unused & (1 << slot)) === 0)
      return { ok: false, reason: 'replayed-or-expired' };
    return { ok: true, key: block.keys.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES) };
  }

  /** After a failed authentication: forget materialised keys nobody has used yet. */
  release(counter: number): void {
    const index = Math.floor(counter / KEYS_PER_CHAIN_STEP);
    const block = this.blockAt(index);
    if (block !== undefined && !block.touched) {
      block.keys.fill(0);
      this.blocks[index - this.lowestBlock] = undefined;
    }
  }

  /** Records that `counter` authenticated: erases its key and slides the window. */
  consume(counter: number): void {
    const index = Math.floor(counter / KEYS_PER_CHAIN_STEP);
    const block = this.blockAt(index);
    if (block === undefined) return;
    const slot = counter % KEYS_PER_CHAIN_STEP;
    block.unused &= ~(1 << slot);
    block.touched = true;
    block.keys.fill(0, slot * KEY_BYTES, (slot + 1) * KEY_BYTES);
    if (block.unused === 0) this.dropBlock(index);
    if (counter > this.highest) {
      this.highest = counter;
      this.pruneBelow(Math.floor((counter - REORDER_WINDOW) / KEYS_PER_CHAIN_STEP));
    }
    this.trimUsedUp();
  }

  /** Bytes of key material held (for memory accounting and tests). */
  get heldKeyBytes(): number {
    let total = 0;
    for (const key of this.chainKeys) if (key !== undefined) total += KEY_BYTES;
    for (const block of this.blocks)
      if (block !== undefined) total += KEYS_PER_CHAIN_STEP * KEY_BYTES;
    return total;
  }

  close(): void {
    for (const key of this.chainKeys) key?.fill(0);
    for (const block of this.blocks) block?.keys.fill(0);
    this.chainKeys.length = 0;
    this.blocks.length = 0;
  }

  private blockAt(index: number): KeyBlock | undefined {
    return index >= this.lowestBlock ? this.blocks[index - this.lowestBlock] : undefined;
  }

  private chainKeyAt(index: number): Uint8Array | undefined {
    return index >= this.lowestBlock ? this.chainKeys[index - this.lowestBlock] : undefined;
  }

  private advanceFrontier(): void {
    const step = chainStep(this.sym, this.chainKeyAt(this.frontier)!);
    step.keys.fill(0);
    this.frontier++;
    this.chainKeys.push(step.chain);
  }

  private materialise(index: number): KeyBlock | null {
    const chain = this.chainKeyAt(index);
    if (chain === undefined) return null;
    const step = chainStep(this.sym, chain);
    if (index === this.frontier) {
      this.frontier++;
      this.chainKeys.push(step.chain);
    } else {
      step.chain.fill(0);
    }
    const block = { keys: step.keys, unused: FULL_MASK, touched: false };
    this.blocks[index - this.lowestBlock] = block;
    return block;
  }

  private dropBlock(index: number): void {
    const at = index - this.lowestBlock;
    this.blocks[at]?.keys.fill(0);
    this.blocks[at] = undefined;
    if (index < this.frontier) {
      this.chainKeys[at]?.fill(0);
      this.chainKeys[at] = undefined;
    }
  }

  private pruneBelow(firstKept: number): void {
    while (this.lowestBlock < Math.min(firstKept, this.frontier)) {
      this.dropBlock(this.lowestBlock);
      this.shiftWindow();
    }
  }

  /** Moves the window's start past blocks that hold nothing any more (used up). */
  private trimUsedUp(): void {
    while (
      this.lowestBlock < this.frontier &&
      this.chainKeys[0] === undefined &&
      this.blocks[0] === undefined
    )
      this.shiftWindow();
  }

  private shiftWindow(): void {
    this.chainKeys.shift();
    this.blocks.shift();
    this.lowestBlock++;
  }
}
