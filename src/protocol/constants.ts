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
export const TID_BYTES = 32;

/** How long a sender stays in one epoch. */
export const EPOCH_SECONDS = 30;
/** How long any key material (receive epochs, ephemeral secrets, replay entries) lives. */
export const KEY_LIFETIME_SECONDS = 120;
/** Packet keys derived by one chain step. */
export const KEYS_PER_CHAIN_STEP = 18;
