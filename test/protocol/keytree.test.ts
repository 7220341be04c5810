/** The key tree of pktree.json (built from mceliece_pk.bin) and the client-side assembler. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { buildKeyTree, childRange, NODE_COUNTS, nodeLength } from '../../src/protocol/keytree.ts';
import { KeyTreeAssembler } from '../../src/protocol/keytree-assembler.ts';
import { BACKENDS } from '../support/backends.ts';
import { loadVectorBinary, loadVectors } from '../support/vectors.ts';

interface PkTree {
  x25519_pk: string;
  dimensions: number[];
  leaf_lengths: number[];
  level1_node: string;
  level2_nodes: string[];
  root: string;
  children_range: Record<string, [number, number]>;
  insert_sequence: {
    what: string;
    depth: number;
    pos: number;
    data_sha256: string;
    data_len: number;
    result: boolean;
  }[];
}

const vectors = loadVectors<PkTree>('pktree.json');
const mceliecePk = loadVectorBinary('mceliece_pk.bin');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

for (const { name, sym } of BACKENDS) {
  describe(`key tree (${name})`, () => {
    const tree = buildKeyTree(sym, mceliecePk, fromHex(vectors.x25519_pk));

    it('has the vector dimensions, nodes and root', () => {
      assert.deepEqual(
        tree.nodes.map((level) => level.length),
        vectors.dimensions,
      );
      assert.deepEqual(NODE_COUNTS, vectors.dimensions);
      assert.equal(toHex(tree.root), vectors.root);
      assert.equal(toHex(tree.nodes[1]![0]!), vectors.level1_node);
      assert.deepEqual(tree.nodes[2]!.map(toHex), vectors.level2_nodes);
      for (let depth = 0; depth < 4; depth++) {
        for (const [position, node] of tree.nodes[depth]!.entries()) {
          assert.equal(node.length, nodeLength(depth, position));
        }
      }
      assert.equal(tree.nodes[3]![909]!.length, 183);
    });

    it('gives the vector children ranges', () => {
      for (const [where, range] of Object.entries(vectors.children_range)) {
        const [depth, position] = where.split(',').map(Number) as [number, number];
        assert.deepEqual(childRange(depth, position), range, where);
      }
    });

    it('assembler accepts all the insert_sequence accepts, and never a node that is not genuine', () => {
      // The deployed assembler drops a node that arrives before its parent; ours keeps it
      // pending and verifies it when the parent arrives, so a refused-early genuine node
      // may later count as accepted. A corrupt or misplaced node is never accepted.
      const assembler = new KeyTreeAssembler(sym, tree.root);
      const corrupt = (bytes: Uint8Array) => {
        const copy = bytes.slice();
        copy[copy.length - 1]! ^= 1;
        return copy;
      };
      for (const step of vectors.insert_sequence) {
        if (step.depth === 0) continue;
        const real = tree.nodes[step.depth]![step.pos]!;
        const candidates = [real, tree.nodes[step.depth]![0]!, corrupt(real)];
        const data = candidates.find((c) => sha256(c) === step.data_sha256) ?? corrupt(real);
        assert.equal(data.length, step.data_len, step.what);
        const outcome = assembler.insert(step.depth, step.pos, data);
        const accepted = outcome === 'accepted' || outcome === 'duplicate';
        if (step.result) assert.ok(accepted, `${step.what}: ${outcome}`);
        else if (accepted)
          assert.equal(sha256(data), sha256(real), `${step.what}: accepted a non-genuine node`);
        if (step.what.includes('before')) assert.notEqual(outcome, 'rejected', step.what);
        if (sha256(data) !== sha256(real)) assert.equal(outcome, 'rejected', step.what);
      }
    });

    it('assembles the whole tree from shuffled nodes, children before parents included', () => {
      const assembler = new KeyTreeAssembler(sym, tree.root);
      const all = tree.nodes.flatMap((level, depth) =>
        level.map((node, position) => ({ depth, position, node })),
      );
      const shuffled = all
        .slice(1)
        .sort(
          (a, b) =>
            ((a.position * 7919 + a.depth * 31) % 97) - ((b.position * 7919 + b.depth * 31) % 97),
        );
      for (const { depth, position, node } of shuffled) assembler.insert(depth, position, node);
      assert.ok(assembler.isComplete(), JSON.stringify(assembler.progress));
      assert.deepEqual(assembler.missing(), []);
      const keys = assembler.publicKeys();
      assert.deepEqual(keys.mceliecePk, mceliecePk);
      assert.equal(toHex(keys.x25519Pk), vectors.x25519_pk);
    });

    it('reports missing nodes level by level and refuses wrong sizes and positions', () => {
      const assembler = new KeyTreeAssembler(sym, tree.root);
      assert.deepEqual(assembler.missing(), [{ depth: 1, position: 0 }]);
      assert.equal(assembler.insert(1, 0, tree.nodes[1]![0]!.subarray(1)), 'rejected');
      assert.equal(assembler.insert(4, 0, new Uint8Array(32)), 'rejected');
      assert.equal(assembler.insert(3, 910, new Uint8Array(32)), 'rejected');
      assert.equal(assembler.insert(1, 0, tree.nodes[1]![0]!), 'accepted');
      assert.equal(assembler.missing().length, 26);
      assert.throws(() => assembler.publicKeys(), /incomplete/);
    });
  });
}
