/** Inner IPv4 rewrite: checksums repaired from scratch for IPv4, TCP, UDP and ICMP. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '../../src/crypto/bytes.ts';
import {
  checkedPacket,
  clearDestination,
  formatIpv4Address,
  inspectIpv4,
  parseIpv4Address,
  rewriteInnerPacket,
  sourceOf,
} from '../../src/protocol/ipv4.ts';

/** Independent check: a valid checksum makes the ones'-complement sum 0xffff. */
function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function transportVerifies(packet: Uint8Array): boolean {
  const headerLength = (packet[0]! & 15) * 4;
  const segment = packet.subarray(headerLength);
  const protocol = packet[9]!;
  const pseudo =
    protocol === 1 ? 0 : onesComplementSum(packet.subarray(12, 20), protocol + segment.length);
  return onesComplementSum(segment, pseudo) === 0xffff;
}

function udpPacket(payload: number[]): Uint8Array {
  const total = 28 + payload.length;
  const packet = new Uint8Array(total);
  packet.set([
    0x45,
    0,
    total >> 8,
    total & 0xff,
    0,
    1,
    0x40,
    0,
    64,
    17,
    0,
    0,
    10,
    43,
    0,
    1,
    10,
    42,
    0,
    9,
  ]);
  packet.set(
    [0x30, 0x39, 0x00, 0x35, (8 + payload.length) >> 8, (8 + payload.length) & 0xff, 0x12, 0x34],
    20,
  );
  packet.set(payload, 28);
  return packet;
}

describe('IPv4 rewrite', () => {
  it('computes the textbook IPv4 header checksum (b861)', () => {
    const header = fromHex('450000730000400040110000c0a80001c0a800c7');
    const packet = new Uint8Array(0x73);
    packet.set(header);
    const out = rewriteInnerPacket(
      packet,
      parseIpv4Address('192.168.0.1'),
      parseIpv4Address('192.168.0.199'),
    );
    assert.ok(out.ok);
    assert.equal((out.value[10]! << 8) | out.value[11]!, 0xb861);
  });

  it('rewrites a UDP packet with a stale checksum and repairs both checksums', () => {
    const packet = udpPacket([1, 2, 3, 4, 5]);
    const inspected = inspectIpv4(packet);
    assert.ok(inspected.ok);
    const checked = checkedPacket(packet, inspected.value);
    clearDestination(checked);
    assert.deepEqual([...checked.subarray(16, 20)], [0, 0, 0, 0]);
    assert.equal(formatIpv4Address(sourceOf(checked)), formatIpv4Address(inspected.value.source));
    const out = rewriteInnerPacket(
      checked,
      parseIpv4Address('10.42.0.7'),
      parseIpv4Address('10.42.0.1'),
    );
    assert.ok(out.ok);
    const view = inspectIpv4(out.value);
    assert.ok(view.ok);
    assert.equal(formatIpv4Address(view.value.source), '10.42.0.7');
    assert.equal(formatIpv4Address(view.value.destination), '10.42.0.1');
    assert.equal(onesComplementSum(out.value.subarray(0, 20)), 0xffff);
    assert.ok(transportVerifies(out.value));
  });

  it('repairs TCP (odd length) and ICMP checksums, and leaves a zero UDP checksum alone', () => {
    const tcp = new Uint8Array(41);
    tcp.set([0x45, 0, 0, 41, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    tcp[20 + 12] = 0x50;
    tcp[40] = 0x99;
    const tcpOut = rewriteInnerPacket(tcp, 0x0a2a0002, 0x0a2a0001);
    assert.ok(tcpOut.ok && transportVerifies(tcpOut.value));
    const icmp = new Uint8Array(28);
    icmp.set([
      0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 0, 0xde, 0xad, 0, 1, 0, 1,
    ]);
    const icmpOut = rewriteInnerPacket(icmp, 0x0a2b0002, 0x0a2b0001);
    assert.ok(icmpOut.ok && transportVerifies(icmpOut.value));
    const noChecksum = udpPacket([9]);
    noChecksum[26] = 0;
    noChecksum[27] = 0;
    const udpOut = rewriteInnerPacket(noChecksum, 1, 2);
    assert.ok(udpOut.ok);
    assert.equal(udpOut.value[26], 0);
    assert.equal(udpOut.value[27], 0);
  });

  it('trims link padding to the IPv4 total length and leaves fragments transport-untouched', () => {
    const padded = new Uint8Array([...udpPacket([1]), 0, 0, 0]);
    const out = rewriteInnerPacket(padded, 1, 2);
    assert.ok(out.ok);
    assert.equal(out.value.length, 29);
    const fragment = udpPacket([1, 2]);
    fragment[6] = 0x20;
    fragment[26] = 0xab;
    const fragOut = rewriteInnerPacket(fragment, 1, 2);
    assert.ok(fragOut.ok);
    assert.equal(fragOut.value[26], 0xab);
  });

  it('refuses malformed packets with a reason', () => {
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['IPv6', new Uint8Array(40).fill(0x60, 0, 1)],
      [
        'short header length',
        (() => {
          const p = udpPacket([1]);
          p[0] = 0x44;
          return p;
        })(),
      ],
      [
        'total length beyond the packet',
        (() => {
          const p = udpPacket([1]);
          p[3] = 200;
          return p;
        })(),
      ],
      [
        'truncated UDP header',
        (() => {
          const p = udpPacket([]).subarray(0, 24);
          p[3] = 24;
          return p;
        })(),
      ],
    ];
    for (const [what, packet] of cases) {
      const out = rewriteInnerPacket(packet, 1, 2);
      assert.equal(out.ok, false, what);
    }
    assert.throws(() => parseIpv4Address('10.0.0.256'), /not an IPv4 address/);
  });
});
