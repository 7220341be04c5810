/**
 * Temporary directories for tests, removed when the test process exits (passed, failed
 * or interrupted by the runner), so a test run leaves nothing in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pqconnect-${prefix}-`));
  made.push(dir);
  return dir;
}
