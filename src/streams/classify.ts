/**
 * Demultiplexes arriving datagrams by pq1 message type (protocol.md §9) so each kind
 * flows into its own pipeline. Anything unrecognised is classified with a reason and
 * counted by the caller.
 */
import { toHex } from '../crypto/bytes.ts';
import { MESSAGE_TYPE, TID_BYTES, TUNNEL_HEADER_BYTES } from '../protocol/constants.ts';
import { isCookie } from '../protocol/cookie.ts';
import type { Datagram } from '../shared/transport.ts';

export type DatagramKind =
  | 'handshake'
  | 'tunnel'
  | 'cookie'
  | 'handshake-failed'
  | 'key-request'
  | 'key-response'
  | 'unknown';

export function classifyDatagram(datagram: Datagram): DatagramKind {
  const data = datagram.data;
  if (data.length < 2) return 'unknown';
  if (isCookie(data)) return 'cookie';
  const type = (data[0]! << 8) | data[1]!;
  switch (type) {
    case MESSAGE_TYPE.handshake:
      return 'handshake';
    case MESSAGE_TYPE.tunnel:
      return 'tunnel';
    case MESSAGE_TYPE.handshakeFailed:
      return 'handshake-failed';
    case MESSAGE_TYPE.staticKeyRequest:
    case MESSAGE_TYPE.ephemeralKeyRequest:
      return 'key-request';
    case MESSAGE_TYPE.staticKeyResponse:
    case MESSAGE_TYPE.ephemeralKeyResponse:
      return 'key-response';
    default:
      return 'unknown';
  }
}

/** The tunnel id of a tunnel packet as a map key, or null if the packet is too short. */
export function tunnelIdKey(data: Uint8Array): string | null {
  if (data.length < TUNNEL_HEADER_BYTES) return null;
  return toHex(data.subarray(2, 2 + TID_BYTES));
}
