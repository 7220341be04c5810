/**
 * The outcome type of every parser and check that sees network input: either a value or
 * a short reason (for drop counters and debug logs). Parsers never throw on bad input.
 */

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: string): Result<T> {
  return { ok: false, reason };
}
