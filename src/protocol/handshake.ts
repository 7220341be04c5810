/**
 * The pq1 0-RTT handshake: one 1299-byte message 01 00 ‖ c0 ‖ c1 ‖ tag1 ‖ c3 ‖ tag3 that
 * gives both sides the tunnel id and the two root keys. The core functions are pure (all
 * KEM results and randomness are parameters); the async wrappers add the KEM calls.
 */
import { concatBytes, wipe } from '../crypto/bytes.ts';
import { kdf, kdf1 } from '../crypto/kdf.ts';
import type { KemBackend } from '../crypto/kem.ts';
import { KEM_SIZES } from '../crypto/kem.ts';
import { AEAD_TAG_BYTES, type SymmetricPrimitives } from '../crypto/symmetric.ts';
import { HANDSHAKE_MESSAGE_BYTES, MESSAGE_TYPE } from './constants.ts';
import { fail, ok, type Result } from './result.ts';

const ZERO_NONCE = new Uint8Array(12);
const C0_BYTES = KEM_SIZES.mceliece6960119.ciphertextBytes;
const C2_BYTES = KEM_SIZES.sntrup761.ciphertextBytes;
const C0_AT = 2;
const C1_AT = C0_AT + C0_BYTES;
const C3_AT = C1_AT + 32 + AEAD_TAG_BYTES;

/** What both ends of a tunnel derive from a handshake. */
export interface TunnelKeys {
  tid: Uint8Array;
  /** The initiator's send root (t_i) and receive root (t_r); the responder swaps them. */
  initiatorRoot: Uint8Array;
  responderRoot: Uint8Array;
}

export interface InitiatorInputs {
  /** A McEliece encapsulation to the server's static key (possibly precomputed). */
  c0: Uint8Array;
  k0: Uint8Array;
  /** Fresh X25519 secret for this handshake. */
  ephemeralSecret: Uint8Array;
  serverStaticX25519: Uint8Array;
  serverEphemeralX25519: Uint8Array;
  /** An sntrup761 encapsulation to the server's current ephemeral key. */
  c2: Uint8Array;
  k3: Uint8Array;
}

function deriveTunnelKeys(sym: SymmetricPrimitives, cs: Uint8Array, hs: Uint8Array): TunnelKeys {
  const [tid, initiatorRoot, responderRoot] = kdf(sym, 3, cs, hs) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  return { tid, initiatorRoot, responderRoot };
}

/** Builds the handshake message and the tunnel keys. Returns null on a low-order DH. */
export function createHandshake(
  sym: SymmetricPrimitives,
  inputs: InitiatorInputs,
): { message: Uint8Array; keys: TunnelKeys } | null {
  const ephemeralPublic = sym.x25519PublicKey(inputs.ephemeralSecret);
  const sealed1 = sym.aeadSeal(inputs.k0, ZERO_NONCE, ephemeralPublic, inputs.c0);
  const hs1 = sym.hash(concatBytes(inputs.c0, sealed1));
  const dhStatic = sym.x25519(inputs.ephemeralSecret, inputs.serverStaticX25519);
  const dhEphemeral = sym.x25519(inputs.ephemeralSecret, inputs.serverEphemeralX25519);
  if (dhStatic === null || dhEphemeral === null) return null;
  const cs1 = kdf1(sym, inputs.k0, dhStatic);
  const cs2 = kdf1(sym, cs1, dhEphemeral);
  const sealed3 = sym.aeadSeal(cs2, ZERO_NONCE, inputs.c2, hs1);
  const cs3 = kdf1(sym, cs2, inputs.k3);
  const hs2 = sym.hash(concatBytes(hs1, sealed3));
  const keys = deriveTunnelKeys(sym, cs3, hs2);
  const message = concatBytes(new Uint8Array([0x01, 0x00]), inputs.c0, sealed1, sealed3);
  wipe(dhStatic, dhEphemeral, cs1, cs2, cs3);
  return { message, keys };
}

export interface HandshakeFields {
  c0: Uint8Array;
  sealed1: Uint8Array;
  sealed3: Uint8Array;
}

export const HANDSHAKE_FAILURES = [
  'handshake has the wrong length',
  'not a handshake message',
  'c0 does not decapsulate',
  'c1 does not authenticate',
  'low-order client ephemeral key',
  'c3 does not authenticate under any ephemeral key',
  'c2 does not decapsulate',
] as const;
export type HandshakeFailure = (typeof HANDSHAKE_FAILURES)[number];

export function parseHandshake(message: Uint8Array): Result<HandshakeFields, HandshakeFailure> {
  if (message.length !== HANDSHAKE_MESSAGE_BYTES) return fail('handshake has the wrong length');
  if (((message[0]! << 8) | message[1]!) !== MESSAGE_TYPE.handshake)
    return fail('not a handshake message');
  return ok({
    c0: message.subarray(C0_AT, C1_AT),
    sealed1: message.subarray(C1_AT, C3_AT),
    sealed3: message.subarray(C3_AT),
  });
}

/** The responder's secrets for one ephemeral slot. */
export interface EphemeralSecrets {
  ekemSk: Uint8Array;
  x25519Sk: Uint8Array;
}

export interface ResponderSecrets {
  x25519Sk: Uint8Array;
}

/** Responder steps after McEliece decapsulation: open c1, find the ephemeral slot whose
 * X25519 key opens c3. Returns the slot index and c2 for the sntrup761 decapsulation. */
export function openHandshake(
  sym: SymmetricPrimitives,
  fields: HandshakeFields,
  k0: Uint8Array,
  secrets: ResponderSecrets,
  ephemerals: readonly EphemeralSecrets[],
): Result<{ slot: number; c2: Uint8Array; cs2: Uint8Array; hs1: Uint8Array }, HandshakeFailure> {
  const clientEphemeral = sym.aeadOpen(k0, ZERO_NONCE, fields.sealed1, fields.c0);
  if (clientEphemeral === null) return fail('c1 does not authenticate');
  const hs1 = sym.hash(concatBytes(fields.c0, fields.sealed1));
  const dhStatic = sym.x25519(secrets.x25519Sk, clientEphemeral);
  if (dhStatic === null) return fail('low-order client ephemeral key');
  const cs1 = kdf1(sym, k0, dhStatic);
  wipe(dhStatic);
  for (let slot = 0; slot < ephemerals.length; slot++) {
    const dhEphemeral = sym.x25519(ephemerals[slot]!.x25519Sk, clientEphemeral);
    if (dhEphemeral === null) continue;
    const cs2 = kdf1(sym, cs1, dhEphemeral);
    wipe(dhEphemeral);
    const c2 = sym.aeadOpen(cs2, ZERO_NONCE, fields.sealed3, hs1);
    if (c2 !== null && c2.length === C2_BYTES) {
      wipe(cs1);
      return ok({ slot, c2, cs2, hs1 });
    }
    wipe(cs2);
  }
  wipe(cs1);
  return fail('c3 does not authenticate under any ephemeral key');
}

/** Final responder step, once k3 = EKEM.Dec(c2) is known. */
export function finishHandshake(
  sym: SymmetricPrimitives,
  fields: HandshakeFields,
  opened: { cs2: Uint8Array; hs1: Uint8Array },
  k3: Uint8Array,
): TunnelKeys {
  const cs3 = kdf1(sym, opened.cs2, k3);
  const hs2 = sym.hash(concatBytes(opened.hs1, fields.sealed3));
  const keys = deriveTunnelKeys(sym, cs3, hs2);
  wipe(cs3, opened.cs2);
  return keys;
}

/** The full initiator: encapsulates to the ephemeral key, then builds the message. */
export async function initiateHandshake(
  sym: SymmetricPrimitives,
  kem: KemBackend,
  prekey: { c0: Uint8Array; k0: Uint8Array },
  server: { x25519Pk: Uint8Array; ekemPk: Uint8Array; ex25519Pk: Uint8Array },
  randomBytes: (length: number) => Uint8Array,
): Promise<{ message: Uint8Array; keys: TunnelKeys } | null> {
  const { ciphertext: c2, sharedSecret: k3 } = await kem.encapsulate('sntrup761', server.ekemPk);
  const ephemeralSecret = randomBytes(32);
  const result = createHandshake(sym, {
    c0: prekey.c0,
    k0: prekey.k0,
    ephemeralSecret,
    serverStaticX25519: server.x25519Pk,
    serverEphemeralX25519: server.ex25519Pk,
    c2,
    k3,
  });
  wipe(ephemeralSecret, k3);
  return result;
}

/** The full responder: decapsulates c0 once, tries the ephemeral slots in the given order. */
export async function respondToHandshake(
  sym: SymmetricPrimitives,
  kem: KemBackend,
  message: Uint8Array,
  secrets: ResponderSecrets & { mcelieceSk: Uint8Array },
  ephemerals: readonly EphemeralSecrets[],
): Promise<Result<{ keys: TunnelKeys; c0: Uint8Array; slot: number }, HandshakeFailure>> {
  const fields = parseHandshake(message);
  if (!fields.ok) return fields;
  const k0 = await kem.decapsulate('mceliece6960119', fields.value.c0, secrets.mcelieceSk);
  if (k0 === null) return fail('c0 does not decapsulate');
  const opened = openHandshake(sym, fields.value, k0, secrets, ephemerals);
  wipe(k0);
  if (!opened.ok) return opened;
  const k3 = await kem.decapsulate(
    'sntrup761',
    opened.value.c2,
    ephemerals[opened.value.slot]!.ekemSk,
  );
  if (k3 === null) {
    wipe(opened.value.cs2);
    return fail('c2 does not decapsulate');
  }
  const keys = finishHandshake(sym, fields.value, opened.value, k3);
  wipe(k3);
  return ok({ keys, c0: fields.value.c0.slice(), slot: opened.value.slot });
}
