/**
 * Cookies (server state offload): "pqccookE" ‖ timestamp (BE64) ‖ nonce (12) ‖
 * AEAD(cookie key, nonce, tid ‖ epoch (BE32) ‖ next send root ‖ next receive root,
 * ad = timestamp) — 144 bytes. Cookie keys form a chain state = KDF(1, state, random)
 * with one key per 30-second slot, each kept for 120 s.
 */
import {
  concatBytes,
  equalBytes,
  readU32BE,
  readU64BE,
  wipe,
  writeU32BEInto,
  writeU64BE,
} from '../crypto/bytes.ts';
import { kdf1 } from '../crypto/kdf.ts';
import type { SymmetricPrimitives } from '../crypto/symmetric.ts';
import { COOKIE_PREFIX, EPOCH_SECONDS, KEY_LIFETIME_SECONDS, TID_BYTES } from './constants.ts';
import { fail, ok, type Result } from './result.ts';

export const COOKIE_BYTES = 144;
const TIMESTAMP_AT = 8;
const NONCE_AT = 16;
const SEALED_AT = 28;

export interface CookieContents {
  tid: Uint8Array;
  epoch: number;
  sendRoot: Uint8Array;
  receiveRoot: Uint8Array;
}

export function slotOf(timestamp: number): number {
  return Math.floor(timestamp / EPOCH_SECONDS) * EPOCH_SECONDS;
}

export function sealCookie(
  sym: SymmetricPrimitives,
  key: Uint8Array,
  nonce: Uint8Array,
  timestamp: number,
  contents: CookieContents,
): Uint8Array {
  const epoch = new Uint8Array(4);
  writeU32BEInto(epoch, 0, contents.epoch);
  const message = concatBytes(contents.tid, epoch, contents.sendRoot, contents.receiveRoot);
  const stamp = writeU64BE(BigInt(timestamp));
  const sealed = sym.aeadSeal(key, nonce, message, stamp);
  wipe(message);
  return concatBytes(COOKIE_PREFIX, stamp, nonce, sealed);
}

export function isCookie(bytes: Uint8Array): boolean {
  return (
    bytes.length === COOKIE_BYTES &&
    equalBytes(bytes.subarray(0, COOKIE_PREFIX.length), COOKIE_PREFIX)
  );
}

export const COOKIE_FAILURES = [
  'not a cookie',
  'cookie key unknown or expired',
  'cookie does not authenticate',
] as const;

/** Opens a cookie with the key of its timestamp's slot (null = no such key any more). */
export function openCookie(
  sym: SymmetricPrimitives,
  bytes: Uint8Array,
  keyForTimestamp: (timestamp: number) => Uint8Array | null,
): Result<CookieContents & { timestamp: number }, (typeof COOKIE_FAILURES)[number]> {
  if (!isCookie(bytes)) return fail('not a cookie');
  const timestamp = Number(readU64BE(bytes, TIMESTAMP_AT));
  const key = keyForTimestamp(timestamp);
  if (key === null) return fail('cookie key unknown or expired');
  const message = sym.aeadOpen(
    key,
    bytes.subarray(NONCE_AT, SEALED_AT),
    bytes.subarray(SEALED_AT),
    bytes.subarray(TIMESTAMP_AT, NONCE_AT),
  );
  if (message === null) return fail('cookie does not authenticate');
  const contents = {
    tid: message.slice(0, TID_BYTES),
    epoch: readU32BE(message, TID_BYTES),
    sendRoot: message.slice(TID_BYTES + 4, TID_BYTES + 36),
    receiveRoot: message.slice(TID_BYTES + 36, TID_BYTES + 68),
    timestamp,
  };
  wipe(message);
  return ok(contents);
}

/** The server's cookie key chain; the caller supplies time and fresh randomness. */
export class CookieKeyChain {
  private state: Uint8Array;
  private readonly keys = new Map<number, Uint8Array>();
  private nonceCounter = 0n;

  constructor(
    private readonly sym: SymmetricPrimitives,
    sessionKey: Uint8Array,
    seed: Uint8Array,
  ) {
    this.state = kdf1(sym, sessionKey, seed);
  }

  /** The chain state (exposed for vector tests). */
  get currentState(): Uint8Array {
    return this.state;
  }

  /** Starts the slot containing `timestamp` with fresh randomness; forgets keys over 120 s old. */
  update(timestamp: number, randomness: Uint8Array): void {
    const slot = slotOf(timestamp);
    const next = kdf1(this.sym, this.state, randomness);
    wipe(this.state);
    this.state = next;
    this.keys.set(slot, next.slice());
    for (const [keySlot, key] of this.keys) {
      if (keySlot < slot - KEY_LIFETIME_SECONDS) {
        wipe(key);
        this.keys.delete(keySlot);
      }
    }
  }

  keyFor(timestamp: number): Uint8Array | null {
    return this.keys.get(slotOf(timestamp)) ?? null;
  }

  slots(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  /** A fresh nonce for the next cookie (a 96-bit counter, never repeated under a key chain). */
  nextNonce(): Uint8Array {
    const nonce = new Uint8Array(12);
    let value = this.nonceCounter++;
    for (let i = 11; i >= 0 && value > 0n; i--) {
      nonce[i] = Number(value & 0xffn);
      value >>= 8n;
    }
    return nonce;
  }

  close(): void {
    wipe(this.state);
    for (const key of this.keys.values()) wipe(key);
    this.keys.clear();
  }
}
