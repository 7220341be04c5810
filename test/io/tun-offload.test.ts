/**
 * The TUN offload path against the real kernel (test/support/tso-probe.ts in a network
 * namespace of its own): TSO packets come out of tunReadVnet as MTU-sized segments with
 * valid checksums, in order, carrying exactly the bytes the socket wrote; the kernel's
 * partial checksum of a lone packet is completed. Needs root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = process.getuid?.() === 0;
const PROBE = fileURLToPath(new URL('../support/tso-probe.ts', import.meta.url));
const NS = `pqtso${process.pid}`;
const run = promisify(execFile);

describe('TUN with virtio-net headers and TSO', {
  skip: ROOT ? false : 'needs root (network namespace, TUN)',
}, () => {
  it('splits TSO packets into valid, contiguous segments of the written bytes', async () => {
    await run('ip', ['netns', 'add', NS]);
    try {
      await run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
      const { stdout } = await run(
        'ip',
        ['netns', 'exec', NS, process.execPath, '--import', 'tsx', PROBE],
        { timeout: 30_000 },
      );
      const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
      assert.equal(seen.tso, true, 'the kernel took the TSO offload');
      assert.equal(seen.synValid, true, 'the SYN’s partial checksum was completed');
      assert.ok(seen.segments >= 10, `${seen.segments} data segments (initial window)`);
      assert.ok(seen.sharedBuffers > 0, 'some segments came from one TSO packet');
      assert.ok(seen.largest <= 1200, `largest segment ${seen.largest} bytes, MTU 1200`);
      assert.equal(seen.contiguous, true, 'sequence numbers follow each other');
      assert.equal(seen.bytesMatch, true, 'the segments carry the bytes written');
      assert.equal(seen.checksumsValid, true, 'IPv4 and TCP checksums verify');
    } finally {
      await run('ip', ['netns', 'del', NS]);
    }
  });
});
