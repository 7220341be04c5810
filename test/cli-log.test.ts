/**
 * The daemons' log lines: level and timestamp outside journald, priority prefix under it,
 * JSON lines with --log-format json, -vv's counter lines, and the log options' parsing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counterChanges } from '../src/cli/counter-changes.ts';
import { formatLogLine, workerLineLevel } from '../src/cli/daemon-log.ts';
import { logOptions, metricsOption } from '../src/cli/log-options.ts';

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

describe('daemon log options', () => {
  it('writes one JSON object per line with --log-format json', () => {
    const line = formatLogLine('pqconnect[7]', 'client up', 'info', false, NOW, 'json');
    assert.deepEqual(JSON.parse(line), {
      time: '2026-12-02T02:10:00.123Z',
      level: 'info',
      source: 'pqconnect[7]',
      message: 'client up',
    });
    assert.equal(line.split('\n').length, 2);
    const journald = formatLogLine('pqconnect[7]', 'x', 'warn', true, NOW, 'json');
    assert.ok(journald.startsWith('<4>{'));
  });

  it('takes "DEBUG " from the worker as the debug level (<7> under journald)', () => {
    assert.deepEqual(workerLineLevel('DEBUG counters moved: a +1'), {
      message: 'counters moved: a +1',
      level: 'debug',
    });
    assert.equal(formatLogLine('w[1]', 'x', 'debug', true, NOW), '<7>w[1]: x\n');
    assert.equal(
      formatLogLine('w[1]', 'x', 'debug', false, NOW),
      `${NOW.toISOString()} DEBUG w[1]: x\n`,
    );
  });

  it('-vv reports the counters that moved, and nothing when none did', () => {
    assert.equal(
      counterChanges({ 'drop: a': 1, b: 2 }, { 'drop: a': 4, b: 2, c: 1 }),
      'counters moved: drop: a +3, c +1',
    );
    assert.equal(counterChanges({ a: 1 }, { a: 1 }), null);
  });

  it('counts -v, accepts json or text only, and parses --metrics addresses', () => {
    assert.deepEqual(logOptions(undefined, undefined), { verbosity: 0, format: 'text' });
    assert.deepEqual(logOptions([true, true, true], 'json'), { verbosity: 2, format: 'json' });
    assert.throws(
      () => logOptions([true], 'yaml'),
      /--log-format: must be one of text, json: yaml/,
    );
    assert.deepEqual(metricsOption('9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(metricsOption('0.0.0.0:9100'), { host: '0.0.0.0', port: 9100 });
    assert.throws(() => metricsOption(':9100'), /--metrics/);
    assert.throws(() => metricsOption('localhost:9100'), /--metrics: not an IPv4 address/);
    assert.throws(() => metricsOption('127.0.0.1:99999'), /--metrics: not a port number/);
  });
});
