/**
 * DNS answers as the kernel hands them over from NFQUEUE: whole IPv4/UDP packets. This
 * unwraps the DNS message, lets the engine rewrite it, and rebuilds the packet with the
 * new lengths and checksums. Anything that is not an unfragmented IPv4/UDP packet from
 * port 53 is left alone (null = accept the original unchanged).
 */
import { inspectIpv4, repairChecksums } from '../protocol/ipv4.ts';

const UDP_HEADER = 8;
const PROTOCOL_UDP = 17;

export function rewriteDnsDatagram(
  packet: Uint8Array,
  rewrite: (dns: Uint8Array) => { bytes: Uint8Array; rewritten: boolean },
): Uint8Array | null {
  const view = inspectIpv4(packet);
  if (!view.ok || view.value.protocol !== PROTOCOL_UDP || view.value.fragmented) return null;
  const start = view.value.headerLength;
  if (view.value.totalLength < start + UDP_HEADER) return null;
  const sourcePort = (packet[start]! << 8) | packet[start + 1]!;
  if (sourcePort !== 53) return null;
  const dns = packet.subarray(start + UDP_HEADER, view.value.totalLength);
  const result = rewrite(dns);
  if (!result.rewritten) return null;
  const total = start + UDP_HEADER + result.bytes.length;
  if (total > 0xffff) return null;
  const out = new Uint8Array(total);
  out.set(packet.subarray(0, start + UDP_HEADER));
  out.set(result.bytes, start + UDP_HEADER);
  out[2] = total >>> 8;
  out[3] = total & 0xff;
  const udpLength = UDP_HEADER + result.bytes.length;
  out[start + 4] = udpLength >>> 8;
  out[start + 5] = udpLength & 0xff;
  const rebuilt = inspectIpv4(out);
  if (!rebuilt.ok) return null;
  return repairChecksums(out, rebuilt.value).ok ? out : null;
}
