/**
 * Client side of the static-key download: stores tree nodes as they arrive, in any order,
 * and accepts each only once its hash matches the slot in its verified parent. Nodes that
 * arrive before their parent wait (a few candidates per position) and are checked when the
 * parent is verified. Reports which nodes are still missing and assembles the keys.
 */
import { equalBytes } from '../crypto/bytes.ts';
import type { SymmetricPrimitives } from '../crypto/symmetric.ts';
import {
  HASH_BYTES,
  isValidPosition,
  NODE_COUNTS,
  nodeLength,
  parentSlot,
  splitPublicKey,
  TREE_DEPTHS,
} from './keytree.ts';

export type InsertOutcome = 'accepted' | 'duplicate' | 'pending' | 'rejected';

const MAX_CANDIDATES_PER_POSITION = 4;

export class KeyTreeAssembler {
  private readonly verified: Map<number, Uint8Array>[] = [];
  private readonly waiting: Map<number, Uint8Array[]>[] = [];
  private verifiedCount = 0;
  private readonly total = NODE_COUNTS.reduce((a, b) => a + b, 0);

  constructor(
    private readonly sym: SymmetricPrimitives,
    pkh: Uint8Array,
  ) {
    if (pkh.length !== HASH_BYTES) throw new RangeError('pkh must be 32 bytes');
    for (let depth = 0; depth < TREE_DEPTHS; depth++) {
      this.verified.push(new Map());
      this.waiting.push(new Map());
    }
    this.verified[0]!.set(0, pkh.slice());
    this.verifiedCount = 1;
  }

  /** Offers one node received from the key server. */
  insert(depth: number, position: number, data: Uint8Array): InsertOutcome {
    if (!isValidPosition(depth, position) || data.length !== nodeLength(depth, position))
      return 'rejected';
    const stored = this.verified[depth]!.get(position);
    if (stored !== undefined) return equalBytes(stored, data) ? 'duplicate' : 'rejected';
    const slot = parentSlot(depth, position);
    const parent = this.verified[depth - 1]?.get(slot.position);
    if (parent === undefined) return this.wait(depth, position, data);
    if (!this.matchesParent(parent, slot.offset, data)) return 'rejected';
    this.accept(depth, position, data);
    return 'accepted';
  }

  isComplete(): boolean {
    return this.verifiedCount === this.total;
  }

  /** Nodes not yet verified whose parent is verified: what to request next. */
  missing(): { depth: number; position: number }[] {
    const out: { depth: number; position: number }[] = [];
    for (let depth = 1; depth < TREE_DEPTHS; depth++) {
      for (let position = 0; position < NODE_COUNTS[depth]!; position++) {
        if (this.verified[depth]!.has(position)) continue;
        if (this.verified[depth - 1]!.has(parentSlot(depth, position).position))
          out.push({ depth, position });
      }
    }
    return out;
  }

  get progress(): { verified: number; total: number } {
    return { verified: this.verifiedCount, total: this.total };
  }

  /** The server's static public keys, once every node is verified. */
  publicKeys(): { mceliecePk: Uint8Array; x25519Pk: Uint8Array } {
    if (!this.isComplete()) throw new Error('key tree is incomplete');
    const leaves = [...this.verified[TREE_DEPTHS - 1]!.entries()]
      .sort((a, b) => a[0] - b[0])
      .map((e) => e[1]);
    return splitPublicKey(leaves);
  }

  private matchesParent(parent: Uint8Array, offset: number, data: Uint8Array): boolean {
    return equalBytes(this.sym.hash(data), parent.subarray(offset, offset + HASH_BYTES));
  }

  private wait(depth: number, position: number, data: Uint8Array): InsertOutcome {
    const candidates = this.waiting[depth]!.get(position) ?? [];
    if (candidates.some((candidate) => equalBytes(candidate, data))) return 'pending';
    candidates.push(data.slice());
    if (candidates.length > MAX_CANDIDATES_PER_POSITION) candidates.shift();
    this.waiting[depth]!.set(position, candidates);
    return 'pending';
  }

  private accept(depth: number, position: number, data: Uint8Array): void {
    this.verified[depth]!.set(position, data.slice());
    this.verifiedCount++;
    this.releaseWaitingChildren(depth, position, data);
  }

  private releaseWaitingChildren(depth: number, position: number, node: Uint8Array): void {
    const childDepth = depth + 1;
    if (childDepth >= TREE_DEPTHS) return;
    for (const [childPosition, candidates] of [...this.waiting[childDepth]!.entries()]) {
      const slot = parentSlot(childDepth, childPosition);
      if (slot.position !== position) continue;
      this.waiting[childDepth]!.delete(childPosition);
      const match = candidates.find((candidate) =>
        this.matchesParent(node, slot.offset, candidate),
      );
      if (match !== undefined) this.accept(childDepth, childPosition, match);
    }
  }
}
