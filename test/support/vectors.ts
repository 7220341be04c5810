/**
 * Loads the deployed implementation's test vectors from the directory PQCONNECT_VECTORS
 * names, by default ../shared/vectors (beside the project root, as on developer machines
 * and in CI). They are never copied or edited; the tests iterate over whatever cases a
 * vector set of the same format holds.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/crypto/bytes.ts';

export const VECTORS_DIR = `${resolve(
  process.env.PQCONNECT_VECTORS ??
    fileURLToPath(new URL('../../../shared/vectors/', import.meta.url)),
)}/`;

export function loadVectors<T>(file: string): T {
  return JSON.parse(readFileSync(VECTORS_DIR + file, 'utf8')) as T;
}

export function loadVectorBinary(file: string): Uint8Array {
  return new Uint8Array(readFileSync(VECTORS_DIR + file));
}

export const hex = fromHex;
