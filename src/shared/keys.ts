/**
 * A PQConnect server's long-term keys as they live in memory: Classic McEliece and X25519
 * key pairs and the secret that seeds the cookie-key chain. Read and written by io/,
 * used by the engines.
 */

export interface ServerKeys {
  mceliecePk: Uint8Array;
  mcelieceSk: Uint8Array;
  x25519Pk: Uint8Array;
  x25519Sk: Uint8Array;
  /** Long-term secret that seeds the cookie-key chain. */
  sessionKey: Uint8Array;
}
