/**
 * DNS rewrite never emits garbage: over many mutated answers (random bytes changed in a
 * real pq1 answer), whatever the rewrite returns decodes again as DNS, and an answer it
 * could not rewrite cleanly is passed through byte for byte, starting no session.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { formatIpv4Address } from '../../src/protocol/ipv4.ts';
import { formatPq1Label } from '../../src/protocol/names.ts';
import { rewriteDnsAnswer } from '../../src/streams/dns-rewrite.ts';
import { dnsAnswer, VECTOR_PKH } from '../support/engine-harness.ts';

const pq1Name = `${formatPq1Label(VECTOR_PKH, { crypto: 42424, key: 42425 })}.demo.test`;
const ORIGINAL = dnsAnswer('www.demo.test', {
  cname: pq1Name,
  owner: pq1Name,
  address: '198.51.100.1',
});

function rewrite(bytes: Uint8Array) {
  let next = 0x0a2b0002;
  return rewriteDnsAnswer(bytes, {
    internalAddressFor: () => formatIpv4Address(next++),
    isTunnelAddress: () => false,
  });
}

function decodes(bytes: Uint8Array): boolean {
  try {
    dnsPacket.decode(Buffer.from(bytes));
    return true;
  } catch {
    return false;
  }
}

describe('DNS rewrite on mutated answers (property)', () => {
  it('the unmutated answer is rewritten and decodes', () => {
    const result = rewrite(ORIGINAL);
    assert.equal(result.rewritten, true);
    assert.ok(decodes(result.bytes));
    assert.equal(result.discoveries.length, 1);
  });

  it('every output decodes, or is the original passed through with no discovery', () => {
    let rewrittenCount = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(ORIGINAL.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const mutated = ORIGINAL.slice();
          for (const [index, value] of edits) mutated[index] = value;
          const result = rewrite(mutated);
          if (result.rewritten) {
            rewrittenCount++;
            assert.ok(decodes(result.bytes), 'a rewritten answer decodes');
          } else {
            assert.deepEqual(result.bytes, mutated, 'passed through byte for byte');
            assert.equal(result.discoveries.length, 0);
          }
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
    assert.ok(rewrittenCount > 500, `${rewrittenCount} mutated answers were still rewritten`);
  });
});
