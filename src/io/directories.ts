/**
 * Creates a directory and any missing parents, one level at a time. (Node 20's recursive
 * mkdir spins forever where the kernel answers ENOENT for a parent that exists, as in
 * /proc; this one reports the error instead.) New directories get `mode`; existing ones
 * are left as they are.
 */
import { mkdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

export async function makeDirectory(path: string, mode: number): Promise<void> {
  const parts = resolve(path)
    .split(sep)
    .filter((part) => part !== '');
  let current = '';
  for (const part of parts) {
    current += `${sep}${part}`;
    try {
      await mkdir(current, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
