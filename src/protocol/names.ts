/**
 * pq1 announcements in DNS names: the label "pq1" + base32(pkh) [+ base32(BE16 crypto
 * port) + base32(BE16 key port)], and the parser that finds it in a name.
 */
import { base32Decode, base32Encode } from './base32.ts';

export const PQ1_PREFIX = 'pq1';
const PKH_CHARS = 52;
const PORT_CHARS = 4;

export interface Pq1Announcement {
  pkh: Uint8Array;
  /** Present only when the label carries ports. */
  ports?: { crypto: number; key: number };
}

export function encodePort(port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new RangeError(`invalid port ${port}`);
  return base32Encode(new Uint8Array([port >>> 8, port & 0xff]));
}

/** Decodes a 4-character port; null when it is not valid base32 or does not fit 2 bytes. */
export function decodePort(text: string): number | null {
  const decoded = base32Decode(text);
  if (!decoded.ok || decoded.value.length !== 2) return null;
  return (decoded.value[0]! << 8) | decoded.value[1]!;
}

export function formatPq1Label(pkh: Uint8Array, ports?: { crypto: number; key: number }): string {
  if (pkh.length !== 32) throw new RangeError('pkh must be 32 bytes');
  const base = PQ1_PREFIX + base32Encode(pkh);
  return ports === undefined ? base : base + encodePort(ports.crypto) + encodePort(ports.key);
}

/**
 * Finds the announcement in a DNS name: the first label that starts with "pq1" and has
 * 52 or 60 more characters. If that label does not decode, the name announces nothing.
 */
export function parsePq1Name(name: string): Pq1Announcement | null {
  for (const rawLabel of name.split('.')) {
    const label = rawLabel.toLowerCase();
    if (!label.startsWith(PQ1_PREFIX)) continue;
    const body = label.slice(PQ1_PREFIX.length);
    if (body.length !== PKH_CHARS && body.length !== PKH_CHARS + 2 * PORT_CHARS) continue;
    const pkh = base32Decode(body.slice(0, PKH_CHARS));
    if (!pkh.ok || pkh.value.length !== 32) return null;
    if (body.length === PKH_CHARS) return { pkh: pkh.value };
    const crypto = decodePort(body.slice(PKH_CHARS, PKH_CHARS + PORT_CHARS));
    const key = decodePort(body.slice(PKH_CHARS + PORT_CHARS));
    if (crypto === null || key === null) return null;
    return { pkh: pkh.value, ports: { crypto, key } };
  }
  return null;
}
