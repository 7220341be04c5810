/**
 * makeDirectory: nested directories with the given mode, existing ones untouched, and an
 * error — not the endless loop of Node 20's recursive mkdir — below /proc.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeDirectory } from '../../src/io/directories.ts';

describe('makeDirectory', () => {
  it('creates missing parents with the mode and leaves existing directories alone', async () => {
    const base = await mkdtemp(join(tmpdir(), 'pqconnect-dirs-'));
    try {
      await makeDirectory(join(base, 'a', 'b', 'c'), 0o700);
      assert.equal((await stat(join(base, 'a', 'b', 'c'))).mode & 0o777, 0o700);
      assert.equal((await stat(base)).mode & 0o777, 0o700, 'mkdtemp made it 0700');
      await makeDirectory(join(base, 'a'), 0o755);
      assert.equal((await stat(join(base, 'a'))).mode & 0o777, 0o700, 'existing mode kept');
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('fails below /proc instead of spinning', { timeout: 10_000 }, async () => {
    await assert.rejects(makeDirectory('/proc/pqconnect-test/run', 0o750), { code: 'ENOENT' });
  });
});
