/**
 * A server's long-term keys: a fresh set (Classic McEliece 6960119 and X25519 key pairs
 * and the cookie `sessionKey`), and the pq1 label that announces them. pqconnect-keygen
 * writes the set to disk; embedders may keep it in memory.
 */
import { randomBytes } from 'node:crypto';
import type { CryptoSuite } from '../crypto/suite.ts';
import { buildKeyTree } from '../protocol/keytree.ts';
import { formatPq1Label } from '../protocol/names.ts';
import type { ServerKeys } from '../shared/keys.ts';

function systemRandom(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

export async function generateServerKeys(
  suite: CryptoSuite,
  random: (length: number) => Uint8Array = systemRandom,
): Promise<ServerKeys> {
  const mceliece = await suite.kem.keypair('mceliece6960119');
  const x25519Sk = random(32);
  return {
    mceliecePk: mceliece.publicKey,
    mcelieceSk: mceliece.secretKey,
    x25519Pk: suite.sym.x25519PublicKey(x25519Sk),
    x25519Sk,
    sessionKey: random(32),
  };
}

/** The pq1 label of these public keys (with the ports, when they are not the defaults'). */
export function serverPq1Label(
  suite: CryptoSuite,
  keys: Pick<ServerKeys, 'mceliecePk' | 'x25519Pk'>,
  ports?: { crypto: number; key: number },
): string {
  return formatPq1Label(buildKeyTree(suite.sym, keys.mceliecePk, keys.x25519Pk).root, ports);
}
