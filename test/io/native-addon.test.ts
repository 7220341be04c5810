/**
 * The native addon's start, stop and error paths, each aimed at a defect a C review
 * found: bad arguments are TypeErrors (tunWrite no longer writes to an uninitialised fd);
 * a reader stopped twice, or a verdict after close, is harmless (no freed memory read);
 * every descriptor is close-on-exec. The test command also runs this file against an
 * AddressSanitizer build of the addon.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nativeIo } from '../../src/io/native-io.ts';

const ROOT = process.getuid?.() === 0;
const io = nativeIo();

/** O_CLOEXEC of one of this process's descriptors, from /proc/self/fdinfo. */
function closeOnExec(fd: number): boolean {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  return (Number.parseInt(/^flags:\s+(\d+)/m.exec(info)?.[1] ?? '0', 8) & 0o2000000) !== 0;
}

describe('native addon start, stop and error paths', () => {
  it('rejects bad arguments with TypeErrors', () => {
    assert.throws(() => io.tunWrite('x' as never, new Uint8Array(1)), TypeError);
    assert.throws(() => io.tunWrite(-1, new Uint8Array(1)), TypeError);
    assert.throws(() => io.tunWrite(5, 'packet' as never), TypeError);
    assert.throws(() => io.tunWrite(5, new Uint16Array(2) as never), TypeError);
    assert.throws(() => io.udpSend(5, 'x' as never, '127.0.0.1', 1), TypeError);
    assert.throws(() => io.udpRead(-1, () => {}), TypeError);
    assert.throws(() => io.udpRead(0, 'callback' as never), TypeError);
    assert.throws(() => io.udpStop({} as never), TypeError);
    assert.throws(() => io.nfqueueVerdict({} as never, 1, null), TypeError);
  });

  it('a UDP reader stopped twice, and its socket, are fine; descriptors are close-on-exec', async () => {
    const socket = io.udpBind('127.0.0.1', 0, false);
    assert.ok(closeOnExec(socket.fd), 'UDP socket close-on-exec');
    const received: number[] = [];
    const reader = io.udpRead(socket.fd, ([datas, addresses, ports]) => {
      received.push(datas.length);
      assert.deepEqual([addresses, ports], [['127.0.0.1'], [socket.port]]);
    });
    assert.ok(io.udpSend(socket.fd, new Uint8Array([1, 2, 3]), '127.0.0.1', socket.port));
    for (let waited = 0; received.length === 0 && waited < 5_000; waited += 20) await sleep(20);
    assert.deepEqual(received, [1]);
    io.udpStop(reader);
    io.udpStop(reader);
    await sleep(20);
    io.closeFd(socket.fd);
    if (typeof globalThis.gc === 'function') globalThis.gc();
  });

  it('a TUN device is close-on-exec; an NFQUEUE closed twice or judged after close is harmless', {
    skip: ROOT ? false : 'needs root (TUN, NFQUEUE)',
  }, async () => {
    const tun = io.tunOpen('pqaddon0', false);
    assert.ok(closeOnExec(tun.fd), 'TUN close-on-exec');
    io.closeFd(tun.fd);
    const queue = io.nfqueueOpen(4297, () => {});
    io.nfqueueClose(queue);
    io.nfqueueClose(queue);
    io.nfqueueVerdict(queue, 1, null);
    io.nfqueueVerdict(queue, 2, new Uint8Array(10));
    await sleep(20);
  });
});
