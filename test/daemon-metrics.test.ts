/**
 * --metrics: a status document turned into Prometheus metrics — names, labels and values,
 * totals that never go down when sessions end, each duration observed once, hostile
 * worker numbers checked and its labels limited to the catalogue — and the text checked
 * by promtool.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { DaemonMetrics } from '../src/cli/daemon-metrics.ts';
import { workerCounterNames } from '../src/cli/worker-counters.ts';

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

const SESSION = {
  id: 'a1',
  name: 'pq1x.demo.test',
  internalAddress: '10.43.0.2',
  state: { established: 'up' },
  sendEpoch: 0,
  receiveEpoch: 0,
  packetsIn: 10,
  packetsOut: 12,
  bytesIn: 1000,
  bytesOut: 2000,
  lastHandshakeAt: 5_000,
  lastHandshakeMs: 40,
  staticKeyMs: 350,
};

describe('daemon metrics', () => {
  it('turns counters, sessions and durations into Prometheus metrics', async () => {
    const metrics = new DaemonMetrics('client', '0.2.0');
    metrics.update({
      uptimeSeconds: 12,
      counters: {
        'handshakes sent': 3,
        'liveness: new handshakes': 1,
        'drop: handshake: computation failed': 2,
        'drop: tunnel: unknown tunnel id': 5,
        'keepalives received': 4,
      },
      sessions: [SESSION],
    });
    const text = await metrics.registry.metrics();
    for (const line of [
      'pqconnect_info{role="client",version="0.2.0",instance=""} 1',
      'pqconnect_uptime_seconds 12',
      'pqconnect_handshakes_total{event="sent"} 3',
      'pqconnect_handshakes_total{event="liveness"} 1',
      'pqconnect_handshake_failures_total{reason="computation failed"} 2',
      'pqconnect_drops_total{reason="dns: no internal address left"} 0',
      'pqconnect_drops_total{reason="tunnel: unknown tunnel id"} 5',
      'pqconnect_events_total{event="keepalives received"} 4',
      'pqconnect_tunnel_bytes_total{direction="in"} 1000',
      'pqconnect_tunnel_packets_total{direction="out"} 12',
      'pqconnect_sessions{state="established"} 1',
      'pqconnect_static_key_download_seconds_count 1',
      'pqconnect_static_key_download_seconds_bucket{le="0.5"} 1',
      'pqconnect_handshake_duration_seconds_bucket{le="0.05"} 1',
    ])
      assert.ok(text.includes(`${line}\n`), `missing: ${line}\n${text}`);
  });

  it('keeps totals when a session ends, and observes each duration once', async () => {
    const metrics = new DaemonMetrics('client', '0.2.0');
    metrics.update({ sessions: [SESSION] });
    metrics.update({ sessions: [{ ...SESSION, bytesIn: 1500 }] });
    metrics.update({ sessions: [] });
    metrics.update({ sessions: [{ ...SESSION, id: 'b2', bytesIn: 10, lastHandshakeAt: 9_000 }] });
    const text = await metrics.registry.metrics();
    assert.ok(text.includes('pqconnect_tunnel_bytes_total{direction="in"} 1510\n'), text);
    assert.ok(text.includes('pqconnect_static_key_download_seconds_count 2\n'), text);
    assert.ok(text.includes('pqconnect_handshake_duration_seconds_count 2\n'), text);
  });

  it('names a farm instance in pqconnect_info, empty without one', async () => {
    const named = new DaemonMetrics('server', '0.2.0', workerCounterNames('server'), 'i3');
    assert.ok(
      (await named.registry.metrics()).includes(
        'pqconnect_info{role="server",version="0.2.0",instance="i3"} 1\n',
      ),
    );
    const plain = new DaemonMetrics('server', '0.2.0');
    assert.ok((await plain.registry.metrics()).includes('instance=""} 1\n'));
  });

  it('bounds what a hostile worker can report: numbers checked, labels from the catalogue', async () => {
    const metrics = new DaemonMetrics('server', '0.2.0');
    const counters: Record<string, number> = {
      'drop: bad': Number.NaN,
      'drop: negative': -4,
      'drop: handshake: replayed c0': 3,
      'made-up event': 2,
    };
    for (let i = 0; i < 1_000; i++) counters[`drop: flood ${i}`] = 1;
    metrics.update({
      counters,
      sessions: [{ ...SESSION, bytesIn: 'lots' as unknown as number, state: { '<script>': 1 } }],
    });
    const text = await metrics.registry.metrics();
    const reasons = text.split('\n').filter((l) => l.startsWith('pqconnect_drops_total{'));
    assert.equal(
      reasons.length,
      workerCounterNames('server').filter((n) => n.startsWith('drop: ')).length + 1,
    );
    assert.ok(text.includes('pqconnect_drops_total{reason="other"} 1000\n'));
    assert.ok(text.includes('pqconnect_drops_total{reason="handshake: replayed c0"} 3\n'));
    assert.ok(text.includes('pqconnect_events_total{event="other"} 2\n'));
    assert.ok(!text.includes('made-up'));
    assert.ok(!text.includes('reason="bad"') && !text.includes('reason="negative"'));
    assert.ok(text.includes('pqconnect_tunnel_bytes_total{direction="in"} 0\n'));
    assert.ok(text.includes('pqconnect_sessions{state="other"} 1\n'));
  });

  it('passes promtool check metrics', {
    skip: hasPromtool() ? false : 'promtool is not installed (scripts/setup-debian.sh installs it)',
  }, async () => {
    const metrics = new DaemonMetrics('client', '0.2.0');
    metrics.update({ counters: { 'handshakes sent': 1, 'drop: x': 1 }, sessions: [SESSION] });
    const output = execFileSync('promtool', ['check', 'metrics'], {
      input: await metrics.registry.metrics(),
      encoding: 'utf8',
    });
    assert.equal(output.trim(), '');
  });
});
