/** base32.json and the pq1 name vectors of pktree.json. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { base32Decode, base32Encode } from '../../src/protocol/base32.ts';
import { decodePort, encodePort, formatPq1Label, parsePq1Name } from '../../src/protocol/names.ts';
import { loadVectors } from '../support/vectors.ts';

interface Base32Case {
  kind: 'encode' | 'port' | 'decode';
  bytes?: string;
  encoded?: string;
  decoded?: string;
  port?: number;
  decoded_port?: number;
  input?: string;
  ok?: boolean;
}
interface ParsedName {
  pkh: string;
  pqcport?: number;
  keyport?: number;
}
interface PkTree {
  root: string;
  root_base32: string;
  dns_labels: { pqcport: number; keyport: number; label: string; parsed: ParsedName }[];
  parse_pq1_record: { name: string; result?: ParsedName | null; ok: boolean }[];
}

const base32 = loadVectors<{ cases: Base32Case[] }>('base32.json');
const tree = loadVectors<PkTree>('pktree.json');

function asVectorShape(name: string): ParsedName | null {
  const parsed = parsePq1Name(name);
  if (parsed === null) return null;
  const shape: ParsedName = { pkh: toHex(parsed.pkh) };
  if (parsed.ports) {
    shape.pqcport = parsed.ports.crypto;
    shape.keyport = parsed.ports.key;
  }
  return shape;
}

describe('DNSCurve base32', () => {
  it('encodes and decodes every base32.json case and rejects every bad input', () => {
    for (const c of base32.cases) {
      if (c.kind === 'encode') {
        assert.equal(base32Encode(fromHex(c.bytes!)), c.encoded);
        const decoded = base32Decode(c.encoded!);
        assert.ok(decoded.ok);
        assert.equal(toHex(decoded.value), c.decoded);
      } else if (c.kind === 'port') {
        assert.equal(encodePort(c.port!), c.encoded);
        assert.equal(decodePort(c.encoded!), c.decoded_port);
      } else {
        const decoded = base32Decode(c.input!);
        assert.equal(decoded.ok, c.ok, `decode ${JSON.stringify(c.input)}`);
        if (decoded.ok) assert.equal(toHex(decoded.value), c.decoded);
      }
    }
  });
});

describe('pq1 names', () => {
  it('formats the root as the vector base32 and labels with ports', () => {
    assert.equal(base32Encode(fromHex(tree.root)), tree.root_base32);
    assert.equal(formatPq1Label(fromHex(tree.root)), `pq1${tree.root_base32}`);
    for (const label of tree.dns_labels) {
      assert.equal(
        formatPq1Label(fromHex(tree.root), { crypto: label.pqcport, key: label.keyport }),
        label.label,
      );
      assert.deepEqual(asVectorShape(`${label.label}.example.org`), label.parsed);
    }
  });

  it('parses every parse_pq1_record name; undecodable labels announce nothing', () => {
    for (const c of tree.parse_pq1_record) {
      const expected = c.ok ? (c.result ?? null) : null;
      assert.deepEqual(asVectorShape(c.name), expected, c.name);
    }
  });
});
