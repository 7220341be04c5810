/**
 * Inner UDP/IPv4 packets for embedders and tests: build one with valid checksums, or read
 * one back. What the engines carry is whole IPv4 packets; these helpers spare an
 * application without a TUN device from writing headers by hand.
 */
import {
  formatIpv4Address,
  inspectIpv4,
  parseIpv4Address,
  repairChecksums,
} from '../protocol/ipv4.ts';

export interface UdpDatagramFields {
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
}

const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const UDP = 17;

/** A UDP/IPv4 packet (TTL 64, no options) with valid header and UDP checksums. */
export function udpIpv4Packet(fields: UdpDatagramFields): Uint8Array {
  const total = IPV4_HEADER + UDP_HEADER + fields.payload.length;
  if (total > 0xffff) throw new RangeError(`UDP payload too long: ${fields.payload.length} bytes`);
  const packet = new Uint8Array(total);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, total);
  packet[8] = 64;
  packet[9] = UDP;
  view.setUint32(12, parseIpv4Address(fields.source));
  view.setUint32(16, parseIpv4Address(fields.destination));
  view.setUint16(20, fields.sourcePort);
  view.setUint16(22, fields.destinationPort);
  view.setUint16(24, UDP_HEADER + fields.payload.length);
  packet.set(fields.payload, IPV4_HEADER + UDP_HEADER);
  const parsed = inspectIpv4(packet);
  if (!parsed.ok) throw new RangeError(parsed.reason);
  repairChecksums(packet, parsed.value);
  return packet;
}

/** The fields of a UDP/IPv4 packet, or null for anything else (or a malformed one). */
export function readUdpIpv4Packet(packet: Uint8Array): UdpDatagramFields | null {
  const parsed = inspectIpv4(packet);
  if (!parsed.ok || parsed.value.protocol !== UDP || parsed.value.fragmented) return null;
  const { headerLength, totalLength } = parsed.value;
  if (totalLength < headerLength + UDP_HEADER) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, totalLength);
  return {
    source: formatIpv4Address(parsed.value.source),
    destination: formatIpv4Address(parsed.value.destination),
    sourcePort: view.getUint16(headerLength),
    destinationPort: view.getUint16(headerLength + 2),
    payload: packet.slice(headerLength + UDP_HEADER, totalLength),
  };
}
