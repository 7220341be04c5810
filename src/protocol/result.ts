/**
 * The outcome type of every parser and check that sees network input: either a value or
 * a reason from the function's own fixed list (drop counters are named after them, so a
 * reason is a literal type, never a string built from input). Parsers never throw.
 */

export type Result<T, Reason extends string> =
  | { ok: true; value: T }
  | { ok: false; reason: Reason };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<const Reason extends string>(reason: Reason): { ok: false; reason: Reason } {
  return { ok: false, reason };
}
