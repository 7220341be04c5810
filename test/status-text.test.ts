/** `status` in words: the daemon line, a wg-show-like block per session, drops and refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesText, durationText, statusText } from '../src/cli/status-text.ts';

const NOW = 1_800_000_000_000;

describe('status text', () => {
  it('formats durations and byte counts as wg show does', () => {
    assert.equal(durationText(7_900), '7s');
    assert.equal(durationText(366_000), '6m 6s');
    assert.equal(durationText(3 * 3600_000 + 240_000), '3h 4m');
    assert.equal(durationText(26 * 3600_000), '1d 2h');
    assert.equal(durationText(-5), '0s');
    assert.equal(bytesText(512), '512 B');
    assert.equal(bytesText(1536), '1.50 KiB');
    assert.equal(bytesText(2.25 * 1024 * 1024), '2.25 MiB');
  });

  it('prints the daemon, then per peer the name asked for, pq1 name, endpoint, ages and traffic', () => {
    const text = statusText(
      {
        version: '0.2.0',
        pid: 10,
        workerPid: 11,
        uptimeSeconds: 125,
        sessions: [
          {
            id: 'ab'.repeat(32),
            name: 'pq1abc.demo.test',
            askedName: 'www.demo.test',
            endpoint: '10.77.0.2:42424',
            internalAddress: '10.43.0.2',
            state: { established: 'up' },
            since: NOW - 61_000,
            lastHandshakeAt: NOW - 60_000,
            lastHandshakeMs: 412,
            sendEpoch: 1,
            receiveEpoch: 2,
            packetsIn: 10,
            packetsOut: 12,
            bytesIn: 1536,
            bytesOut: 900,
            fallbackReason: null,
          },
        ],
        counters: { 'drop: tunnel: bad tag': 3, 'handshakes sent': 1 },
        refusedByRoot: { verdicts: 0, routes: 2 },
      },
      'client',
      NOW,
    );
    assert.equal(
      text,
      [
        'pqconnect 0.2.0: pid 10 (worker 11), up 2m 5s, 1 session',
        '',
        'peer: www.demo.test',
        '  pq1 name: pq1abc.demo.test',
        '  endpoint: 10.77.0.2:42424',
        '  tunnel address: 10.43.0.2',
        '  state: established.up for 1m 1s',
        '  latest handshake: 1m 0s ago (took 412 ms)',
        '  transfer: 1.50 KiB, 10 packets received; 900 B, 12 packets sent',
        '  epochs: send 1, receive 2',
        '',
        'dropped: tunnel: bad tag 3',
        'refused by root: routes 2',
        '',
      ].join('\n'),
    );
  });

  it('names server sessions by client endpoint and says when a client fell back', () => {
    const server = statusText(
      {
        sessions: [
          {
            id: 'cd'.repeat(32),
            peer: '10.77.0.1:42423',
            internalAddress: '10.42.0.2',
            state: 'open',
            since: NOW - 5_000,
            sendEpoch: 0,
            receiveEpoch: 0,
            packetsIn: 1,
            packetsOut: 1,
          },
        ],
      },
      'server',
      NOW,
    );
    assert.match(
      server,
      /^pqconnect-server \?: pid \? \(worker -\), 1 session\n\nclient: 10\.77\.0\.1:42423\n {2}inner address: 10\.42\.0\.2\n {2}state: open for 5s\n/,
    );
    const farm = statusText({ instance: 'i2', listen: '10.90.0.1', sessions: [] }, 'server', NOW);
    assert.match(farm, /^pqconnect-server \? \(instance i2\): pid \? \(worker -\), 0 sessions\n/);
    const fallback = statusText(
      {
        sessions: [
          {
            id: 'ef'.repeat(32),
            name: 'pq1def.gone.test',
            askedName: 'www.gone.test',
            internalAddress: '10.43.0.3',
            state: 'fallback',
            sendEpoch: null,
            receiveEpoch: null,
            packetsIn: 0,
            packetsOut: 0,
            fallbackReason: 'key server unreachable',
          },
        ],
      },
      'client',
      NOW,
    );
    assert.match(fallback, / {2}latest handshake: none yet\n/);
    assert.match(fallback, / {2}plain fallback: key server unreachable\n/);
  });
});
