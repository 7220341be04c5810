/**
 * Trust and liveness of the real daemons in network namespaces (root): an attacker host
 * on the link spoofing the server's address sprays `03 00`, forged tunnel packets and
 * forged key-server answers at 1,000/s each while curl runs — no plaintext crosses the
 * link to the server and the session stays established; traffic flows again within 5 s
 * after our server restarts, within 20 s after a restart of a server that sends no
 * `03 00`, and a killed server leads to plain fallback within 30 s of the first
 * unanswered packet. The spray runs last: forged answers rightly disable plain fallback
 * for 120 s afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  createServerKeys,
  type Scenario,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../../demo/scenario.ts';
import { clientStatus } from '../support/daemon-status.ts';

const ROOT = process.getuid?.() === 0;
const SERVER = '10.77.0.2';
/** A UDP datagram of 2 bytes is 30 bytes of IPv4: the server's `03 00`. */
const NOTICE_FROM_SERVER = ['-p', 'udp', '--sport', '42424', '-m', 'length', '--length', '30'];

function isEstablished(state: unknown): boolean {
  return typeof state === 'object' && state !== null && 'established' in state;
}

async function pingOnce(lab: Lab, address: string): Promise<boolean> {
  const result = await lab.run(lab.client, 'ping', ['-c', '1', '-W', '1', address], 5_000);
  return result.code === 0;
}

/** Pings every ~250 ms until one is answered; the wall time that took, in ms. */
async function msUntilPingAnswered(lab: Lab, address: string, limitMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if (await pingOnce(lab, address)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 250));
  }
  return Number.POSITIVE_INFINITY;
}

async function stopServer(lab: Lab, signal: 'TERM' | 'KILL'): Promise<void> {
  await lab.run(lab.server, 'pkill', [`-${signal}`, '-f', 'bin/pqconnect-server( |$)']);
  if (signal === 'TERM')
    await waitFor('server daemon to stop', async () =>
      lab.logs('server').includes('stopped; rules and devices removed'),
    );
  else await new Promise((r) => setTimeout(r, 500));
}

describe('trust and liveness of the daemons (namespaces)', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;
  let scenario: Scenario;
  let internal: string;

  before(async () => {
    lab = await createLab('pqt', { attacker: true });
    scenario = await createServerKeys(lab);
    await startDns(lab, scenario);
    await startWebServer(lab);
    await startServerDaemon(lab, scenario);
    await startClientDaemon(lab);
    const resolved = await lab.run(lab.client, 'getent', ['hosts', 'www.demo.test']);
    internal = resolved.stdout.split(/\s+/)[0] ?? '';
    assert.match(internal, /^10\.43\./);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('traffic flows again within 5 s after our server restarts (it answers 03 00)', async () => {
    assert.ok(await pingOnce(lab, internal));
    await stopServer(lab, 'TERM');
    await startServerDaemon(lab, scenario);
    const recovered = await msUntilPingAnswered(lab, internal, 30_000);
    process.stdout.write(`# recovery after a restart: ${recovered} ms\n`);
    assert.ok(recovered <= 5_000, `${recovered} ms`);
  });

  it('traffic flows again within 20 s after a restart of a server that never sends 03 00', async () => {
    assert.ok(await pingOnce(lab, internal));
    await stopServer(lab, 'TERM');
    const silence = await lab.run(lab.server, 'iptables', [
      '-I',
      'OUTPUT',
      ...NOTICE_FROM_SERVER,
      '-j',
      'DROP',
    ]);
    assert.equal(silence.code, 0, silence.stderr);
    try {
      await startServerDaemon(lab, scenario);
      const recovered = await msUntilPingAnswered(lab, internal, 60_000);
      process.stdout.write(`# recovery after a silent restart: ${recovered} ms\n`);
      assert.ok(recovered <= 20_000, `${recovered} ms`);
      assert.match(lab.logs('client'), /WARN .*inner data unanswered for 5 s; new handshake/);
    } finally {
      await lab.run(lab.server, 'iptables', ['-D', 'OUTPUT', ...NOTICE_FROM_SERVER, '-j', 'DROP']);
    }
  });

  it('a killed server leads to plain fallback within 30 s of the first unanswered packet', async () => {
    assert.ok(await pingOnce(lab, internal));
    await stopServer(lab, 'KILL');
    const start = Date.now();
    const fallbacks = () => lab.logs('client').split('plain fallback:').length;
    const before = fallbacks();
    while (fallbacks() === before && Date.now() - start < 60_000) await pingOnce(lab, internal);
    const decided = Date.now() - start;
    process.stdout.write(`# fallback decision after the server was killed: ${decided} ms\n`);
    await startServerDaemon(lab, scenario);
    await waitFor(
      'the session to come back through the tunnel after the backoff',
      async () => {
        await pingOnce(lab, internal);
        return isEstablished((await clientStatus(lab)).sessions[0]?.state);
      },
      40_000,
    );
    assert.ok(decided <= 30_000, `${decided} ms`);
    assert.match(
      lab.logs('client'),
      /WARN .*PLAIN FALLBACK to 10\.77\.0\.2 — no ephemeral key from 10\.77\.0\.2:42425 after 4 requests/,
    );
  });
  it('a spoofing attacker at 1,000/s per kind causes no plaintext and no teardown while curl runs', async () => {
    const attacker = lab.attacker!;
    assert.equal(
      (await lab.run(lab.client, 'curl', ['-sS', '--max-time', '10', 'http://www.demo.test/']))
        .code,
      0,
    );
    for (const [port, to] of [
      ['40001', `${SERVER}:42424`],
      ['40002', `${SERVER}:42425`],
    ] as const) {
      const rule = await lab.run(attacker, 'iptables', [
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-p',
        'udp',
        '--sport',
        port,
        '-j',
        'SNAT',
        '--to-source',
        to,
      ]);
      assert.equal(rule.code, 0, rule.stderr);
    }
    const capture = lab.start(
      lab.client,
      'tcpdump',
      [
        '-n',
        '-l',
        '-i',
        'eth0',
        'dst',
        'host',
        SERVER,
        'and',
        'not',
        '(',
        'udp',
        'port',
        '42424',
        'or',
        'udp',
        'port',
        '42425',
        ')',
      ],
      'plaintext-capture',
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await clientStatus(lab);
    const logStart = lab.logs('client').length;
    lab.start(
      attacker,
      process.execPath,
      ['--import', 'tsx', 'test/e2e/spoofer.ts', lab.client.address, '1000', '8'],
      'spoofer',
    );
    await waitFor('the spoofer', async () => lab.logs('spoofer').includes('spoofer: running'));
    let fetched = 0;
    for (let i = 0; i < 8; i++) {
      const page = await lab.run(
        lab.client,
        'curl',
        ['-sS', '--max-time', '5', 'http://www.demo.test/'],
        10_000,
      );
      if (page.code === 0 && /hello from the PQConnect demo server/.test(page.stdout)) fetched++;
      const status = await clientStatus(lab);
      assert.ok(
        isEstablished(status.sessions[0]?.state),
        JSON.stringify(status.sessions[0]?.state),
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    await waitFor(
      'the spoofer to finish',
      async () => lab.logs('spoofer').includes('spoofer: sent'),
      20_000,
    );
    capture.kill('SIGINT');
    await new Promise((r) => capture.once('exit', r));
    const after = await clientStatus(lab);
    const plaintext = lab
      .logs('plaintext-capture')
      .split('\n')
      .filter((l) => / IP /.test(l));
    assert.deepEqual(plaintext, [], 'no packet to the server other than PQConnect UDP');
    assert.equal(fetched, 8, 'every fetch through the tunnel worked');
    const delta = (name: string) => (after.counters[name] ?? 0) - (before.counters[name] ?? 0);
    assert.ok(
      delta('handshake-failed notices received') > 3_000,
      `${delta('handshake-failed notices received')} notices reached the engine`,
    );
    assert.ok(delta('drop: tunnel: unknown tunnel id') > 3_000);
    assert.ok(delta('handshakes sent') <= 1, `${delta('handshakes sent')} new handshakes`);
    assert.doesNotMatch(lab.logs('client').slice(logStart), /plain fallback:/);
    process.stdout.write(
      `# spray: ${lab.logs('spoofer').trim().split('\n').at(-1)}; ${delta('handshakes sent')} new handshakes, ${delta('liveness: probes sent')} probes\n`,
    );
  });
});
