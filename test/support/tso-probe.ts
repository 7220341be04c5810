/**
 * Run as root inside a fresh network namespace (by test/io/tun-offload.test.ts): opens a
 * TUN device with virtio-net headers and TSO, answers the kernel's SYN to 10.201.0.2 by
 * hand, writes 60 KB on the connection and checks what the kernel hands over through
 * tunReadVnet before any retransmission (nothing is acknowledged): MTU-sized segments,
 * contiguous sequence numbers, the bytes written, and valid IPv4 and TCP checksums (the SYN's partial one completed, TSO segments recomputed).
 * Prints one JSON line with what it saw.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { nativeIo } from '../../src/io/native-io.ts';
import { inspectIpv4, repairChecksums } from '../../src/protocol/ipv4.ts';

const MTU = 1200;
const MSS = 1160;
const io = nativeIo();

function ones(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((end - start) % 2 === 1) sum += bytes[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** True when the IPv4 header and TCP checksums of a packet verify. */
function checksumsValid(packet: Uint8Array): boolean {
  const ihl = (packet[0]! & 0x0f) * 4;
  const total = (packet[2]! << 8) | packet[3]!;
  const pseudo = ones(packet, 12, 20, 6 + total - ihl);
  return ones(packet, 0, ihl, 0) === 0xffff && ones(packet, ihl, total, pseudo) === 0xffff;
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at);

function synAck(syn: Uint8Array): Uint8Array {
  const ihl = (syn[0]! & 0x0f) * 4;
  const packet = new Uint8Array(44);
  const view = new DataView(packet.buffer);
  packet.set([0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6, 0, 0]);
  packet.set(syn.subarray(16, 20), 12);
  packet.set(syn.subarray(12, 16), 16);
  packet.set(syn.subarray(ihl + 2, ihl + 4), 20);
  packet.set(syn.subarray(ihl, ihl + 2), 22);
  view.setUint32(24, 1000);
  view.setUint32(28, u32(syn, ihl + 4) + 1);
  packet[32] = 6 << 4;
  packet[33] = 0x12;
  view.setUint16(34, 65535);
  packet.set([2, 4, MSS >> 8, MSS & 0xff], 40);
  const parsed = inspectIpv4(packet);
  if (!parsed.ok) throw new Error(parsed.reason);
  repairChecksums(packet, parsed.value, 'partial');
  return packet;
}

const tun = io.tunOpen('pqtso0', true);
execFileSync('ip', ['addr', 'add', '10.201.0.1/24', 'dev', 'pqtso0']);
execFileSync('ip', ['link', 'set', 'pqtso0', 'mtu', String(MTU), 'up']);
const data = Uint8Array.from({ length: 60_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
const segments: Uint8Array[] = [];
let synValid = false;
const reader = io.tunReadVnet(tun.fd, (packets) => {
  for (const packet of packets) {
    if (packet[0]! >> 4 !== 4 || packet[9] !== 6) continue;
    const ihl = (packet[0]! & 0x0f) * 4;
    if ((packet[ihl + 13]! & 0x02) !== 0) {
      synValid = checksumsValid(packet);
      io.tunWriteVnet(tun.fd, synAck(packet));
    } else if (packet.length > ihl + (packet[ihl + 12]! >> 4) * 4) segments.push(packet);
  }
});
const socket = connect({ host: '10.201.0.2', port: 9000 }, () => socket.write(data));
socket.on('error', () => {});
await new Promise((resolve) => setTimeout(resolve, 1500));
io.tunStop(reader);
socket.destroy();

let expectedSeq: number | null = null;
let offset = 0;
let contiguous = true;
let bytesMatch = true;
const firstSent: Uint8Array[] = [];
for (const segment of segments) {
  const ihl = (segment[0]! & 0x0f) * 4;
  const payload = segment.subarray(ihl + (segment[ihl + 12]! >> 4) * 4);
  const seq = u32(segment, ihl + 4);
  if (expectedSeq !== null && seq < expectedSeq) break; // a retransmission: nothing is acked
  if (expectedSeq !== null && seq !== expectedSeq) contiguous = false;
  firstSent.push(segment);
  expectedSeq = seq + payload.length;
  if (payload.some((byte, i) => byte !== data[offset + i])) bytesMatch = false;
  offset += payload.length;
}
console.log(
  JSON.stringify({
    tso: tun.tso,
    synValid,
    segments: firstSent.length,
    sharedBuffers: firstSent.length - new Set(firstSent.map((s) => s.buffer)).size,
    largest: Math.max(...firstSent.map((s) => s.length)),
    contiguous,
    bytesMatch,
    checksumsValid: segments.every(checksumsValid),
  }),
);
io.closeFd(tun.fd);
