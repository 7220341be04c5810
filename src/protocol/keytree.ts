/**
 * The server's key tree: a Merkle tree over P = McEliece pk ‖ X25519 pk, cut in 1152-byte
 * segments. Depth 3 holds the 910 leaves, depth 2 the 26 nodes of leaf hashes, depth 1
 * the one node of depth-2 hashes, depth 0 the root H(depth-1 node) = the public-key hash.
 */
import { concatBytes } from '../crypto/bytes.ts';
import { KEM_SIZES } from '../crypto/kem.ts';
import type { SymmetricPrimitives } from '../crypto/symmetric.ts';

export const SEGMENT_BYTES = 1152;
export const HASH_BYTES = 32;
export const HASHES_PER_NODE = SEGMENT_BYTES / HASH_BYTES;
export const TREE_DEPTHS = 4;
export const PUBLIC_KEY_BYTES = KEM_SIZES.mceliece6960119.publicKeyBytes + 32;

const LEAF_COUNT = Math.ceil(PUBLIC_KEY_BYTES / SEGMENT_BYTES);
const LEVEL2_COUNT = Math.ceil((LEAF_COUNT * HASH_BYTES) / SEGMENT_BYTES);

/** Number of nodes at each depth: [1, 1, 26, 910]. */
export const NODE_COUNTS: readonly number[] = [1, 1, LEVEL2_COUNT, LEAF_COUNT];

function levelBytes(depth: number): number {
  switch (depth) {
    case 0:
      return HASH_BYTES;
    case 1:
      return LEVEL2_COUNT * HASH_BYTES;
    case 2:
      return LEAF_COUNT * HASH_BYTES;
    default:
      return PUBLIC_KEY_BYTES;
  }
}

export function isValidPosition(depth: number, position: number): boolean {
  return (
    Number.isInteger(depth) &&
    depth >= 0 &&
    depth < TREE_DEPTHS &&
    Number.isInteger(position) &&
    position >= 0 &&
    position < NODE_COUNTS[depth]!
  );
}

/** Byte length of node (depth, position); the last node of a level is shorter. */
export function nodeLength(depth: number, position: number): number {
  if (!isValidPosition(depth, position))
    throw new RangeError(`no tree node at (${depth}, ${position})`);
  if (depth <= 1) return levelBytes(depth);
  return Math.min(SEGMENT_BYTES, levelBytes(depth) - position * SEGMENT_BYTES);
}

/** Where node (depth, position)'s hash sits inside its parent: [parent position, byte offset]. */
export function parentSlot(depth: number, position: number): { position: number; offset: number } {
  if (depth === 1) return { position: 0, offset: 0 };
  if (depth === 2) return { position: 0, offset: position * HASH_BYTES };
  return {
    position: Math.floor(position / HASHES_PER_NODE),
    offset: (position % HASHES_PER_NODE) * HASH_BYTES,
  };
}

/** The positions [first, end) of node (depth, position)'s children at depth + 1. */
export function childRange(depth: number, position: number): [number, number] {
  if (!isValidPosition(depth, position) || depth >= TREE_DEPTHS - 1)
    throw new RangeError('node has no children');
  if (depth === 0) return [0, 1];
  if (depth === 1) return [0, NODE_COUNTS[2]!];
  const first = position * HASHES_PER_NODE;
  return [first, Math.min(first + HASHES_PER_NODE, NODE_COUNTS[3]!)];
}

export interface KeyTree {
  readonly root: Uint8Array;
  /** nodes[depth][position]. */
  readonly nodes: readonly (readonly Uint8Array[])[];
}

function cut(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += SEGMENT_BYTES) {
    pieces.push(bytes.slice(offset, offset + SEGMENT_BYTES));
  }
  return pieces;
}

export function buildKeyTree(
  sym: SymmetricPrimitives,
  mceliecePk: Uint8Array,
  x25519Pk: Uint8Array,
): KeyTree {
  if (mceliecePk.length !== KEM_SIZES.mceliece6960119.publicKeyBytes || x25519Pk.length !== 32) {
    throw new RangeError(
      'key tree needs a mceliece6960119 public key and a 32-byte X25519 public key',
    );
  }
  const leaves = cut(concatBytes(mceliecePk, x25519Pk));
  const level2 = cut(concatBytes(...leaves.map((leaf) => sym.hash(leaf))));
  const level1 = concatBytes(...level2.map((node) => sym.hash(node)));
  const root = sym.hash(level1);
  return { root, nodes: [[root], [level1], level2, leaves] };
}

/** Splits the assembled leaves back into the two public keys. */
export function splitPublicKey(leaves: readonly Uint8Array[]): {
  mceliecePk: Uint8Array;
  x25519Pk: Uint8Array;
} {
  const all = concatBytes(...leaves);
  const cutAt = KEM_SIZES.mceliece6960119.publicKeyBytes;
  return { mceliecePk: all.slice(0, cutAt), x25519Pk: all.slice(cutAt) };
}
