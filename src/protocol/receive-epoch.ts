/**
 * The receive keys of one epoch. Keys are derived forward in chain steps of 18 as packets
 * ask for them, kept until used (each exactly once) or until they fall more than
 * REORDER_WINDOW counters behind the highest authenticated counter, then erased.
 * Derivation ahead is bounded by MAX_SKIP counters past the highest authenticated one,
 * so a forged counter can cost some hashing but never unbounded memory, and only an
 * authenticated packet moves the window.
 */
import { KEY_BYTES, type SymmetricPrimitives } from '../crypto/symmetric.ts';
import { KEYS_PER_CHAIN_STEP } from './constants.ts';
import { chainStep } from './send-chain.ts';

/** Counters accepted past the highest authenticated one (a loss burst of this size survives). */
export const MAX_SKIP = 2048;
/** Counters kept behind the highest authenticated one (reordering depth). */
export const REORDER_WINDOW = 1024;

const FULL_MASK = (1 << KEYS_PER_CHAIN_STEP) - 1;

interface KeyBlock {
  keys: Uint8Array;
  /** Bit i set = key i of the block is still unused. */
  unused: number;
}

export type KeyLookup =
  | { ok: true; key: Uint8Array }
  | { ok: false; reason: 'replayed-or-expired' | 'too-far-ahead' };

export class ReceiveEpoch {
  /** When the epoch's 120 s clock started (first authenticated use), or null if not yet. */
  clockStart: number | null = null;
  private chain: Uint8Array;
  private readonly blocks = new Map<number, KeyBlock>();
  private derivedBlocks = 0;
  private highest = -1;

  constructor(
    private readonly sym: SymmetricPrimitives,
    readonly epoch: number,
    chain: Uint8Array,
  ) {
    this.chain = chain;
  }

  /** The key for `counter` if it is still available (derives forward as needed). */
  key(counter: number): KeyLookup {
    const blockIndex = Math.floor(counter / KEYS_PER_CHAIN_STEP);
    if (blockIndex >= this.derivedBlocks) {
      if (counter > this.highest + MAX_SKIP) return { ok: false, reason: 'too-far-ahead' };
      while (this.derivedBlocks <= blockIndex) this.deriveBlock();
    }
    const block = this.blocks.get(blockIndex);
    const bit = 1 << (counter % KEYS_PER_CHAIN_STEP);
    if (block === undefined || (block.unused & bit) === 0)
      return { ok: false, reason: 'replayed-or-expired' };
    const offset = (counter % KEYS_PER_CHAIN_STEP) * KEY_BYTES;
    return { ok: true, key: block.keys.subarray(offset, offset + KEY_BYTES) };
  }

  /** Records that `counter` authenticated: erases its key and slides the window. */
  consume(counter: number): void {
    const blockIndex = Math.floor(counter / KEYS_PER_CHAIN_STEP);
    const block = this.blocks.get(blockIndex);
    if (block === undefined) return;
    const slot = counter % KEYS_PER_CHAIN_STEP;
    block.unused &= ~(1 << slot);
    block.keys.fill(0, slot * KEY_BYTES, (slot + 1) * KEY_BYTES);
    if (block.unused === 0) this.dropBlock(blockIndex);
    if (counter > this.highest) {
      this.highest = counter;
      this.pruneBehind(counter - REORDER_WINDOW);
    }
  }

  /** Number of unused keys held (for memory accounting and tests). */
  get heldKeys(): number {
    let count = 0;
    for (const block of this.blocks.values()) {
      for (let bits = block.unused; bits !== 0; bits &= bits - 1) count++;
    }
    return count;
  }

  close(): void {
    this.chain.fill(0);
    for (const index of [...this.blocks.keys()]) this.dropBlock(index);
  }

  private deriveBlock(): void {
    const step = chainStep(this.sym, this.chain);
    this.chain.fill(0);
    this.chain = step.chain;
    this.blocks.set(this.derivedBlocks, { keys: step.keys, unused: FULL_MASK });
    this.derivedBlocks++;
  }

  private pruneBehind(lowestKept: number): void {
    const firstKeptBlock = Math.floor(lowestKept / KEYS_PER_CHAIN_STEP);
    for (const index of this.blocks.keys()) {
      if (index < firstKeptBlock) this.dropBlock(index);
    }
  }

  private dropBlock(index: number): void {
    this.blocks.get(index)?.keys.fill(0);
    this.blocks.delete(index);
  }
}
