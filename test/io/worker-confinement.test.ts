/**
 * The worker's confinement (src/io/worker-confinement.ts, native/src/seccomp.c) in a
 * child process that confines itself as the worker does: the seccomp filter is on
 * (Seccomp 2 in /proc), starting a process, opening a socket, writing a file and
 * signalling another process fail with EPERM, while what a worker needs (reading a
 * module, timers, threads) still works. A control run without the filter shows each
 * refused operation succeeds there, so the refusals come from the filter.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const PROBE = new URL('../support/confined-probe.ts', import.meta.url).pathname;
const ROOT = process.getuid?.() === 0;

async function probe(
  confined: boolean,
): Promise<{ report: Record<string, unknown>; wrote: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'pqconnect-probe-'));
  const target = join(dir, 'written');
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...process.execArgv, PROBE, target],
      { env: { ...process.env, PROBE_UNCONFINED: confined ? '0' : '1' }, timeout: 30_000 },
    );
    return { report: JSON.parse(stdout) as Record<string, unknown>, wrote: existsSync(target) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('worker confinement (seccomp allow-list)', () => {
  it('refuses process creation, new sockets, writes and signals; keeps what a worker needs', async () => {
    const { report, wrote } = await probe(true);
    assert.equal(report.seccomp, '2', 'seccomp filter mode in /proc/self/status');
    assert.ok(
      Number(report.allowed) > 40 && Number(report.allowed) < 120,
      `allowed ${report.allowed}`,
    );
    assert.equal(report.spawn, 'EPERM');
    assert.equal(report.udpSocket, 'EPERM');
    assert.equal(report.writeFile, 'EPERM');
    assert.equal(wrote, false, 'no file was created');
    assert.equal(report.killOther, 'EPERM');
    assert.equal(report.readFile, 'ok');
    assert.equal(report.thread, '42', 'a worker thread starts and answers');
    assert.equal(report.timer, 'ok');
  });

  it('control run without the filter: the same operations succeed', {
    skip: ROOT ? false : 'needs root (kill(1, 0))',
  }, async () => {
    const { report, wrote } = await probe(false);
    assert.equal(report.seccomp, '0');
    for (const operation of ['spawn', 'udpSocket', 'writeFile', 'killOther'])
      assert.equal(report[operation], 'ok', operation);
    assert.equal(wrote, true);
  });
});
