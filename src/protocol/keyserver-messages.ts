/**
 * Key-server messages (UDP, key port): static-key node requests/responses and ephemeral
 * key requests/responses. Requests are padded to the exact size of their answer, which is
 * what makes the anti-amplification rule (answer only same-length requests) work.
 */
import { readU16LE } from '../crypto/bytes.ts';
import { KEM_SIZES } from '../crypto/kem.ts';
import { MESSAGE_TYPE } from './constants.ts';
import { decodeFields, encodeFields, FIELD_FAILURES, messageType } from './fields.ts';
import { isValidPosition, nodeLength } from './keytree.ts';
import { fail, ok, type Result } from './result.ts';

const EKEM_PK_BYTES = KEM_SIZES.sntrup761.publicKeyBytes;
const X25519_PK_BYTES = 32;

export type KeyRequest =
  | { kind: 'static'; depth: number; position: number }
  | { kind: 'ephemeral' };

export interface StaticKeyResponse {
  depth: number;
  position: number;
  node: Uint8Array;
}

export interface EphemeralKeyResponse {
  ekemPk: Uint8Array;
  x25519Pk: Uint8Array;
}

function positionField(position: number): Uint8Array {
  return new Uint8Array([position & 0xff, position >>> 8]);
}

export function encodeStaticKeyRequest(depth: number, position: number): Uint8Array {
  const length = nodeLength(depth, position);
  return encodeFields(MESSAGE_TYPE.staticKeyRequest, [
    new Uint8Array([depth]),
    positionField(position),
    new Uint8Array(length),
  ]);
}

export function encodeStaticKeyResponse(
  depth: number,
  position: number,
  node: Uint8Array,
): Uint8Array {
  if (node.length !== nodeLength(depth, position))
    throw new RangeError('node has the wrong length');
  return encodeFields(MESSAGE_TYPE.staticKeyResponse, [
    new Uint8Array([depth]),
    positionField(position),
    node,
  ]);
}

export function encodeEphemeralKeyRequest(): Uint8Array {
  return encodeFields(MESSAGE_TYPE.ephemeralKeyRequest, [
    new Uint8Array(EKEM_PK_BYTES),
    new Uint8Array(X25519_PK_BYTES),
  ]);
}

export function encodeEphemeralKeyResponse(ekemPk: Uint8Array, x25519Pk: Uint8Array): Uint8Array {
  if (ekemPk.length !== EKEM_PK_BYTES || x25519Pk.length !== X25519_PK_BYTES) {
    throw new RangeError('ephemeral keys have the wrong length');
  }
  return encodeFields(MESSAGE_TYPE.ephemeralKeyResponse, [ekemPk, x25519Pk]);
}

/** Why a key request or key-server answer was refused: every reason, fields' included. */
export const KEY_MESSAGE_FAILURES = [
  ...FIELD_FAILURES,
  'too short',
  'bad depth or position field',
  'no such tree node',
  'node has the wrong length',
  'ephemeral key lengths',
  'not a key-server response',
  'not a key request',
  'no ephemeral key available yet',
  'request length differs from the answer (anti-amplification)',
] as const;
export type KeyMessageFailure = (typeof KEY_MESSAGE_FAILURES)[number];

function decodeDepthPosition(
  fields: Uint8Array[],
): Result<{ depth: number; position: number }, KeyMessageFailure> {
  const [depthField, positionBytes] = fields as [Uint8Array, Uint8Array];
  if (depthField.length !== 1 || positionBytes.length !== 2)
    return fail('bad depth or position field');
  return ok({ depth: depthField[0]!, position: readU16LE(positionBytes, 0) });
}

/**
 * Parses a message arriving at a key server. `ok(null)` means a well-formed message that
 * is not a request (ignored); a failure means malformed bytes.
 */
export function parseKeyRequest(bytes: Uint8Array): Result<KeyRequest | null, KeyMessageFailure> {
  const type = messageType(bytes);
  if (type === MESSAGE_TYPE.ephemeralKeyRequest) return ok({ kind: 'ephemeral' });
  if (type !== MESSAGE_TYPE.staticKeyRequest) return type === null ? fail('too short') : ok(null);
  const fields = decodeFields(bytes, 3);
  if (!fields.ok) return fields;
  const where = decodeDepthPosition(fields.value);
  if (!where.ok) return where;
  return ok({ kind: 'static', ...where.value });
}

export type KeyResponse =
  | ({ kind: 'static' } & StaticKeyResponse)
  | ({ kind: 'ephemeral' } & EphemeralKeyResponse);

/** Parses a key-server answer arriving at a client; every deviation is a failure. */
export function parseKeyResponse(bytes: Uint8Array): Result<KeyResponse, KeyMessageFailure> {
  const type = messageType(bytes);
  if (type === MESSAGE_TYPE.staticKeyResponse) {
    const fields = decodeFields(bytes, 3);
    if (!fields.ok) return fields;
    const where = decodeDepthPosition(fields.value);
    if (!where.ok) return where;
    const { depth, position } = where.value;
    if (!isValidPosition(depth, position)) return fail('no such tree node');
    const node = fields.value[2]!;
    if (node.length !== nodeLength(depth, position)) return fail('node has the wrong length');
    return ok({ kind: 'static', depth, position, node: node.slice() });
  }
  if (type === MESSAGE_TYPE.ephemeralKeyResponse) {
    const fields = decodeFields(bytes, 2);
    if (!fields.ok) return fields;
    const [ekemPk, x25519Pk] = fields.value as [Uint8Array, Uint8Array];
    if (ekemPk.length !== EKEM_PK_BYTES || x25519Pk.length !== X25519_PK_BYTES)
      return fail('ephemeral key lengths');
    return ok({ kind: 'ephemeral', ekemPk: ekemPk.slice(), x25519Pk: x25519Pk.slice() });
  }
  return fail('not a key-server response');
}

export interface KeyServerMaterial {
  node(depth: number, position: number): Uint8Array;
  /** The current slot's public keys, or null while none exist yet. */
  currentEphemeral(): EphemeralKeyResponse | null;
}

/**
 * The key server's answer to one datagram, or a reason for silence. It answers only a
 * well-formed request whose length equals the answer's, so it never amplifies.
 */
export function answerKeyRequest(
  bytes: Uint8Array,
  material: KeyServerMaterial,
): Result<Uint8Array, KeyMessageFailure> {
  const request = parseKeyRequest(bytes);
  if (!request.ok) return request;
  if (request.value === null) return fail('not a key request');
  let answer: Uint8Array;
  if (request.value.kind === 'ephemeral') {
    const keys = material.currentEphemeral();
    if (keys === null) return fail('no ephemeral key available yet');
    answer = encodeEphemeralKeyResponse(keys.ekemPk, keys.x25519Pk);
  } else {
    const { depth, position } = request.value;
    if (!isValidPosition(depth, position)) return fail('no such tree node');
    answer = encodeStaticKeyResponse(depth, position, material.node(depth, position));
  }
  if (answer.length !== bytes.length)
    return fail('request length differs from the answer (anti-amplification)');
  return ok(answer);
}
