/**
 * Tunnel packet framing: 02 00 ‖ tid (32) ‖ epoch (BE16) ‖ counter (BE32), then the inner
 * packet sealed with that (epoch, counter)'s packet key, nonce 0 and the header as AD.
 */
import { readU16BE, readU32BE, writeU32BEInto } from '../crypto/bytes.ts';
import { AEAD_TAG_BYTES, type SymmetricPrimitives } from '../crypto/symmetric.ts';
import { MESSAGE_TYPE, TID_BYTES, TUNNEL_HEADER_BYTES } from './constants.ts';
import { fail, ok, type Result } from './result.ts';

const ZERO_NONCE = new Uint8Array(12);

export interface TunnelPacketView {
  tid: Uint8Array;
  epoch: number;
  counter: number;
  header: Uint8Array;
  sealed: Uint8Array;
}

export function encodeTunnelHeader(tid: Uint8Array, epoch: number, counter: number): Uint8Array {
  const header = new Uint8Array(TUNNEL_HEADER_BYTES);
  writeTunnelHeader(header, tid, epoch, counter);
  return header;
}

/** `tid`: the tunnel id in its first TID_BYTES bytes (it may be a longer buffer that
 * starts with the id, copied byte by byte with no view made per packet). */
function writeTunnelHeader(header: Uint8Array, tid: Uint8Array, epoch: number, counter: number) {
  header[0] = MESSAGE_TYPE.tunnel >>> 8;
  header[1] = MESSAGE_TYPE.tunnel & 0xff;
  for (let i = 0; i < TID_BYTES; i++) header[2 + i] = tid[i]!;
  header[34] = epoch >>> 8;
  header[35] = epoch & 0xff;
  writeU32BEInto(header, 36, counter);
}

/** The length of the tunnel packet that carries `plaintextLength` bytes. */
export function tunnelPacketLength(plaintextLength: number): number {
  return TUNNEL_HEADER_BYTES + plaintextLength + AEAD_TAG_BYTES;
}

export const TUNNEL_PACKET_FAILURES = ['tunnel packet too short', 'not a tunnel packet'] as const;
export type TunnelPacketFailure = (typeof TUNNEL_PACKET_FAILURES)[number];

export function parseTunnelPacket(
  bytes: Uint8Array,
): Result<TunnelPacketView, TunnelPacketFailure> {
  if (bytes.length < TUNNEL_HEADER_BYTES + AEAD_TAG_BYTES) return fail('tunnel packet too short');
  if (readU16BE(bytes, 0) !== MESSAGE_TYPE.tunnel) return fail('not a tunnel packet');
  return ok({
    tid: bytes.subarray(2, 2 + TID_BYTES),
    epoch: readU16BE(bytes, 34),
    counter: readU32BE(bytes, 36),
    header: bytes.subarray(0, TUNNEL_HEADER_BYTES),
    sealed: bytes.subarray(TUNNEL_HEADER_BYTES),
  });
}

/** Seals into `out` (exactly tunnelPacketLength(plaintext.length) bytes, apart from
 * plaintext); `tid` as for the header: the id in its first TID_BYTES bytes. */
export function sealTunnelPacketInto(
  sym: SymmetricPrimitives,
  key: Uint8Array,
  tid: Uint8Array,
  epoch: number,
  counter: number,
  plaintext: Uint8Array,
  out: Uint8Array,
): void {
  writeTunnelHeader(out, tid, epoch, counter);
  sym.aeadSealInto(
    out.subarray(TUNNEL_HEADER_BYTES),
    key,
    ZERO_NONCE,
    plaintext,
    out.subarray(0, TUNNEL_HEADER_BYTES),
  );
}

/** Opens the packet over its own bytes: the plaintext is a view into them; null when the
 * tag does not verify. */
export function openTunnelPacket(
  sym: SymmetricPrimitives,
  key: Uint8Array,
  view: TunnelPacketView,
): Uint8Array | null {
  return sym.aeadOpenInPlace(key, ZERO_NONCE, view.sealed, view.header);
}
