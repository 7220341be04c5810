/**
 * The key-server framing: a 2-byte message type followed by fields, each a 2-byte
 * big-endian length and that many bytes. Zero-length fields are invalid.
 */
import { readU16BE } from '../crypto/bytes.ts';
import { fail, ok, type Result } from './result.ts';

export function encodeFields(type: number, fields: readonly Uint8Array[]): Uint8Array {
  let length = 2;
  for (const field of fields) {
    if (field.length === 0 || field.length > 0xffff)
      throw new RangeError('field length must be 1..65535');
    length += 2 + field.length;
  }
  const out = new Uint8Array(length);
  out[0] = type >>> 8;
  out[1] = type & 0xff;
  let offset = 2;
  for (const field of fields) {
    out[offset] = field.length >>> 8;
    out[offset + 1] = field.length & 0xff;
    out.set(field, offset + 2);
    offset += 2 + field.length;
  }
  return out;
}

/** Splits a message into exactly `count` fields after the type; anything else fails. */
export const FIELD_FAILURES = [
  'truncated field length',
  'zero-length field',
  'truncated field',
  'wrong number of fields',
] as const;
export type FieldFailure = (typeof FIELD_FAILURES)[number];

export function decodeFields(bytes: Uint8Array, count: number): Result<Uint8Array[], FieldFailure> {
  const fields: Uint8Array[] = [];
  let offset = 2;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) return fail('truncated field length');
    const length = readU16BE(bytes, offset);
    if (length === 0) return fail('zero-length field');
    if (offset + 2 + length > bytes.length) return fail('truncated field');
    fields.push(bytes.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (fields.length !== count) return fail('wrong number of fields');
  return ok(fields);
}

export function messageType(bytes: Uint8Array): number | null {
  return bytes.length >= 2 ? readU16BE(bytes, 0) : null;
}
