/**
 * Inner IPv4 packets: validation, the address rewrite of pq1 (sender zeroes the
 * destination; receiver sets source = the peer's address on its side and destination =
 * its own tunnel address) and full recomputation of the IPv4, TCP, UDP and ICMP
 * checksums, which the deployed sender leaves stale. Works in place on the caller's buffer.
 * With 'partial' checksums, TCP and UDP checksums hold only the pseudo-header sum, for a
 * TUN device that completes them (virtio-net NEEDS_CSUM); the IPv4 and ICMP ones are full.
 */
import { fail, ok, type Result } from './result.ts';

const PROTOCOL_ICMP = 1;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;

export type InnerChecksums = 'complete' | 'partial';

export interface Ipv4View {
  headerLength: number;
  totalLength: number;
  protocol: number;
  source: number;
  destination: number;
  /** True for any fragment (more-fragments set or a non-zero offset). */
  fragmented: boolean;
}

export function parseIpv4Address(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`not an IPv4 address: ${text}`);
  }
  return parts.reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function formatIpv4Address(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.');
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

export const IPV4_FAILURES = [
  'IPv4 packet shorter than 20 bytes',
  'not IPv4',
  'bad IPv4 header length',
  'IPv4 total length exceeds the packet',
] as const;
export type Ipv4Failure = (typeof IPV4_FAILURES)[number];

/** Why a packet's addresses could not be rewritten: its IPv4 header, or its transport's. */
export const REWRITE_FAILURES = [...IPV4_FAILURES, 'transport header truncated'] as const;
export type RewriteFailure = (typeof REWRITE_FAILURES)[number];

export function inspectIpv4(packet: Uint8Array): Result<Ipv4View, Ipv4Failure> {
  if (packet.length < 20) return fail('IPv4 packet shorter than 20 bytes');
  if (packet[0]! >>> 4 !== 4) return fail('not IPv4');
  const headerLength = (packet[0]! & 0x0f) * 4;
  const totalLength = (packet[2]! << 8) | packet[3]!;
  if (headerLength < 20 || headerLength > totalLength) return fail('bad IPv4 header length');
  if (totalLength > packet.length) return fail('IPv4 total length exceeds the packet');
  const flagsAndOffset = (packet[6]! << 8) | packet[7]!;
  return ok({
    headerLength,
    totalLength,
    protocol: packet[9]!,
    source: readU32(packet, 12),
    destination: readU32(packet, 16),
    fragmented: (flagsAndOffset & 0x3fff) !== 0,
  });
}

function sum16(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value & 0xff;
}

function checksumOffset(protocol: number): number | null {
  if (protocol === PROTOCOL_TCP) return 16;
  if (protocol === PROTOCOL_UDP) return 6;
  if (protocol === PROTOCOL_ICMP) return 2;
  return null;
}

const MIN_TRANSPORT_HEADER: Record<number, number> = {
  [PROTOCOL_TCP]: 20,
  [PROTOCOL_UDP]: 8,
  [PROTOCOL_ICMP]: 4,
};

/** Recomputes the IPv4 header checksum and, for unfragmented TCP/UDP/ICMP, the transport one. */
export function repairChecksums(
  packet: Uint8Array,
  view: Ipv4View,
  checksums: InnerChecksums = 'complete',
): Result<void, 'transport header truncated'> {
  packet[10] = 0;
  packet[11] = 0;
  writeU16(packet, 10, fold(sum16(packet, 0, view.headerLength, 0)));
  const offset = checksumOffset(view.protocol);
  if (offset === null || view.fragmented) return ok(undefined);
  const start = view.headerLength;
  const length = view.totalLength - start;
  if (length < MIN_TRANSPORT_HEADER[view.protocol]!) return fail('transport header truncated');
  const at = start + offset;
  const udpWithoutChecksum =
    view.protocol === PROTOCOL_UDP && packet[at] === 0 && packet[at + 1] === 0;
  if (udpWithoutChecksum && checksums === 'complete') return ok(undefined);
  packet[at] = 0;
  packet[at + 1] = 0;
  let initial = 0;
  if (view.protocol !== PROTOCOL_ICMP) {
    initial = sum16(packet, 12, 20, view.protocol + length);
    if (checksums === 'partial') {
      writeU16(packet, at, ~fold(initial) & 0xffff);
      return ok(undefined);
    }
  }
  let checksum = fold(sum16(packet, start, view.totalLength, initial));
  if (checksum === 0 && view.protocol === PROTOCOL_UDP) checksum = 0xffff;
  writeU16(packet, at, checksum);
  return ok(undefined);
}

declare const checkedIpv4: unique symbol;
/** An outbound packet `inspectIpv4` accepted, cut to its total length: the steps after
 * routing (queue, seal, plain path) trust its header instead of inspecting it again. */
export type CheckedIpv4Packet = Uint8Array & { readonly [checkedIpv4]: true };

export function checkedPacket(packet: Uint8Array, view: Ipv4View): CheckedIpv4Packet {
  const cut = packet.length === view.totalLength ? packet : packet.subarray(0, view.totalLength);
  return cut as CheckedIpv4Packet;
}

export function sourceOf(packet: CheckedIpv4Packet): number {
  return readU32(packet, 12);
}

export function destinationOf(packet: CheckedIpv4Packet): number {
  return readU32(packet, 16);
}

/** Sender side: the destination goes out as 0.0.0.0 (the receiver chooses its own). */
export function clearDestination(packet: CheckedIpv4Packet): void {
  writeU32(packet, 16, 0);
}

/** Receiver side: rewrite source and destination, then repair every checksum. */
export function rewriteInnerPacket(
  packet: Uint8Array,
  source: number,
  destination: number,
  checksums: InnerChecksums = 'complete',
): Result<Uint8Array, RewriteFailure> {
  const view = inspectIpv4(packet);
  if (!view.ok) return view;
  const out = packet.subarray(0, view.value.totalLength);
  writeU32(out, 12, source);
  writeU32(out, 16, destination);
  const repaired = repairChecksums(out, view.value, checksums);
  return repaired.ok ? ok(out) : repaired;
}
