/** The daemons' log line format: level and timestamp outside journald, priority prefix under it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLogLine, workerLineLevel } from '../src/cli/daemon-log.ts';

const NOW = new Date('2026-12-02T02:10:00.123Z');

describe('daemon log lines', () => {
  it('carry an ISO timestamp and the level outside journald', () => {
    assert.equal(
      formatLogLine('pqconnect[7]', 'client up', 'info', false, NOW),
      '2026-12-02T02:10:00.123Z INFO pqconnect[7]: client up\n',
    );
    assert.equal(
      formatLogLine('pqconnect[7]', 'route add failed', 'warn', false, NOW),
      '2026-12-02T02:10:00.123Z WARN pqconnect[7]: route add failed\n',
    );
  });

  it('carry the syslog priority journald reads, and no timestamp, under journald', () => {
    assert.equal(formatLogLine('pqconnect[7]', 'up', 'info', true, NOW), '<6>pqconnect[7]: up\n');
    assert.equal(formatLogLine('pqconnect[7]', 'x', 'warn', true, NOW), '<4>pqconnect[7]: x\n');
  });

  it('take the worker\'s "WARN " mark as the level', () => {
    assert.deepEqual(workerLineLevel('WARN peer: gone'), { message: 'peer: gone', level: 'warn' });
    assert.deepEqual(workerLineLevel('client engine up'), {
      message: 'client engine up',
      level: 'info',
    });
  });
});
