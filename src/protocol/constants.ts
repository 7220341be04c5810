/** Wire constants of pq1: message types, sizes, default ports and tunnel timing. */

export const MESSAGE_TYPE = {
  handshake: 0x0100,
  tunnel: 0x0200,
  handshakeFailed: 0x0300,
  staticKeyRequest: 0xf000,
  staticKeyResponse: 0xf100,
  ephemeralKeyRequest: 0xf200,
  ephemeralKeyResponse: 0xf300,
} as const;

export const COOKIE_PREFIX = new TextEncoder().encode('pqccookE');

export const DEFAULT_CRYPTO_PORT = 42424;
export const DEFAULT_KEY_PORT = 42425;
export const DEFAULT_CLIENT_PORT = 42423;

export const HANDSHAKE_MESSAGE_BYTES = 1299;
export const TUNNEL_HEADER_BYTES = 40;
export const TUNNEL_OVERHEAD_BYTES = 56;
/** What a tunnel packet adds to an inner packet on an IPv4 link (with UDP and IP headers). */
export const TUNNEL_OVERHEAD_IPV4_BYTES = TUNNEL_OVERHEAD_BYTES + 8 + 20;
/** The inner MTU the daemons use unless told otherwise (as the deployed ones). */
export const DEFAULT_TUNNEL_MTU = 1200;
export const MIN_TUNNEL_MTU = 576;
/** The largest inner MTU whose tunnel packets fit a 9000-byte jumbo-frame link. */
export const MAX_TUNNEL_MTU = 9000 - TUNNEL_OVERHEAD_IPV4_BYTES;
export const TID_BYTES = 32;

/** How long a sender stays in one epoch. */
export const EPOCH_SECONDS = 30;
/** How long any key material (receive epochs, ephemeral secrets, replay entries) lives. */
export const KEY_LIFETIME_SECONDS = 120;
/** Packet keys derived by one chain step. */
export const KEYS_PER_CHAIN_STEP = 18;
