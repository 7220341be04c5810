/**
 * Signals and pipes with the real client daemon in a network namespace (root): SIGTERM
 * with a `viz --live` viewer connected ends the viewer's connection and stops instead of
 * hanging; SIGHUP stops cleanly; a second SIGTERM does not interrupt the cleanup; a closed
 * log pipe (`pqconnect 2>&1 | head -c 1`) leaves the daemon running until it is stopped.
 * Each time no rule or device is left. Stop times are printed, not asserted.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import { BIN } from '../../demo/scenario.ts';
import { clientStatus, leftovers } from '../support/daemon-status.ts';

const ROOT = process.getuid?.() === 0;
const RUN_DIR = '/tmp/pqs-run';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startDaemon(lab: Lab, name: string): Promise<number> {
  lab.start(lab.client, BIN('pqconnect'), ['--run-dir', RUN_DIR], name);
  await waitFor(`${name} up`, async () => lab.logs(name).includes('client up'));
  return (await clientStatus(lab, RUN_DIR)).pid;
}

/** Sends `signal` and waits (bounded) until `pid` is gone; the time it took. */
async function stopWith(pid: number, signal: NodeJS.Signals, twice = false): Promise<number> {
  const start = Date.now();
  process.kill(pid, signal);
  if (twice) setTimeout(() => alive(pid) && process.kill(pid, signal), 20);
  await waitFor(`pid ${pid} to exit after ${signal}`, async () => !alive(pid), 10_000);
  return Date.now() - start;
}

describe('signals and pipes (namespaces)', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;

  before(async () => {
    await rm(RUN_DIR, { recursive: true, force: true });
    lab = await createLab('pqs');
  });
  after(async () => {
    await lab?.destroy();
    await rm(RUN_DIR, { recursive: true, force: true });
  });

  it('SIGTERM with a live viewer connected ends the viewer and stops', async () => {
    const pid = await startDaemon(lab, 'viewed');
    lab.start(
      lab.client,
      BIN('pqconnect'),
      ['viz', '--live', '--run-dir', RUN_DIR, '--port', '8097'],
      'viewer',
    );
    await waitFor('the viewer', async () =>
      lab.logs('viewer').includes('live view of the client daemon'),
    );
    const events = lab.start(lab.client, 'curl', ['-sN', 'http://127.0.0.1:8097/events'], 'events');
    await waitFor('the event stream', async () => lab.logs('events').includes('data:'));
    const took = await stopWith(pid, 'SIGTERM');
    process.stdout.write(`# stop with a live viewer connected: ${took} ms\n`);
    assert.match(lab.logs('viewed'), /stopped; rules and devices removed/);
    assert.deepEqual(await leftovers(lab), []);
    events.kill();
  });

  it('SIGHUP stops cleanly', async () => {
    const pid = await startDaemon(lab, 'hangup');
    const took = await stopWith(pid, 'SIGHUP');
    process.stdout.write(`# stop on SIGHUP: ${took} ms\n`);
    assert.match(
      lab.logs('hangup'),
      /SIGHUP received, shutting down[\s\S]*stopped; rules and devices removed/,
    );
    assert.deepEqual(await leftovers(lab), []);
  });

  it('a second SIGTERM does not interrupt the cleanup', async () => {
    const pid = await startDaemon(lab, 'twice');
    await stopWith(pid, 'SIGTERM', true);
    assert.match(lab.logs('twice'), /stopped; rules and devices removed/);
    assert.deepEqual(await leftovers(lab), []);
  });

  it('a closed log pipe leaves the daemon running until it is stopped', async () => {
    lab.start(
      lab.client,
      'sh',
      ['-c', `${BIN('pqconnect')} --run-dir ${RUN_DIR} 2>&1 | head -c 1`],
      'piped',
    );
    await waitFor('the piped daemon up', async () => {
      const status = await lab.run(lab.client, BIN('pqconnect'), [
        'status',
        '--json',
        '--run-dir',
        RUN_DIR,
      ]);
      return status.code === 0;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const pid = await (await clientStatus(lab, RUN_DIR)).pid;
    assert.ok(alive(pid), 'still running after its log reader went away');
    assert.equal((await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0'])).code, 0);
    await stopWith(pid, 'SIGTERM');
    assert.deepEqual(await leftovers(lab), []);
  });
});
