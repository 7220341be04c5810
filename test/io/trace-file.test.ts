/**
 * The root part's trace file: a write that fails (here /dev/full: every append is
 * ENOSPC) is logged once and tracing stops; root neither crashes nor leaves an
 * unhandled rejection (the suite's hook would fail this file).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrivilegedDaemon } from '../../src/cli/privileged-daemon.ts';

describe('trace file', () => {
  it('a failing trace write is logged once, and the daemon carries on', async () => {
    const lines: string[] = [];
    const daemon = new PrivilegedDaemon('client', (line) => lines.push(line));
    await daemon.recordTrace('/dev/full');
    const transition = {
      sessionId: 's',
      machine: 'clientSession',
      state: 'discovered',
      event: 'xstate.init',
      context: {},
      at: 0,
    };
    for (let i = 0; i < 3; i++) daemon.transitions.next(transition);
    const logged = () => lines.some((l) => /trace file \/dev\/full: /.test(l));
    for (let waited = 0; !logged() && waited < 5_000; waited += 20) await sleep(20);
    await sleep(100);
    assert.equal(
      lines.filter((l) => /trace file \/dev\/full: /.test(l)).length,
      1,
      lines.join('\n'),
    );
    await daemon.shutdown(0);
    assert.equal(await daemon.finished(), 0);
  });
});
