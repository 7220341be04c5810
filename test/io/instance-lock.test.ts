/**
 * The instance lock and the run-directory claim, without root: a second taker is refused
 * with the holder's pid; the lock is free again after release and after the holder is
 * killed (the kernel releases it: no stale lock); a run directory whose control socket
 * answers is refused, one with a dead socket file is free.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AlreadyRunningError,
  checkRunDirectoryFree,
  takeInstanceLock,
} from '../../src/io/instance-lock.ts';
import { tempDir } from '../support/temp-dir.ts';

const LOCK = `pqconnect-test/${process.pid}`;

describe('instance lock', () => {
  it('refuses a second taker with the holder pid, and is free after release', async () => {
    const lock = await takeInstanceLock(LOCK);
    await assert.rejects(
      takeInstanceLock(LOCK),
      (error: unknown) =>
        error instanceof AlreadyRunningError &&
        error.message === `already running (pid ${process.pid})`,
    );
    await lock.release();
    const again = await takeInstanceLock(LOCK);
    await again.release();
  });

  it('is free again once its holder is killed', async () => {
    const name = `${LOCK}/killed`;
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen('\\0${name}', () => console.log('held'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    await assert.rejects(takeInstanceLock(name), AlreadyRunningError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const lock = await takeInstanceLock(name);
    await lock.release();
  });

  it('refuses a run directory whose control socket answers; a dead socket file is free', async () => {
    const dir = tempDir('run');
    const live = join(dir, 'client.sock');
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(live, resolve));
    await assert.rejects(checkRunDirectoryFree(live, dir), /give this one its own --run-dir/);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const dead = join(dir, 'server.sock');
    await writeFile(dead, '');
    await checkRunDirectoryFree(dead, dir);
    await checkRunDirectoryFree(join(dir, 'missing.sock'), dir);
  });
});
