/**
 * End-to-end: the real daemons (root part + unprivileged worker), real TUN devices, real
 * DNS (dnsmasq) intercepted through NFQUEUE, in network namespaces. Needs root, as in CI.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createLab, type Host, type Lab, waitFor } from '../../demo/lab.ts';
import {
  BIN,
  createServerKeys,
  type Scenario,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../../demo/scenario.ts';
import { clientStatus, leftovers } from '../support/daemon-status.ts';

const ROOT = process.getuid?.() === 0;
const TRACE = '/tmp/pqconnect-e2e-trace.jsonl';

async function curl(
  lab: Lab,
  url: string,
  maxTime = 20,
): Promise<{ code: number; stdout: string }> {
  return lab.run(
    lab.client,
    'curl',
    ['-sS', '--max-time', String(maxTime), url],
    (maxTime + 5) * 1000,
  );
}

/** Rules and devices a client left (the server's worker in this lab still runs: not counted). */
async function clientLeftovers(lab: Lab): Promise<string[]> {
  return (await leftovers(lab)).filter((item) => !item.startsWith('worker processes'));
}

async function stopDaemon(lab: Lab, name: 'client' | 'server'): Promise<void> {
  const host = name === 'client' ? lab.client : lab.server;
  await lab.run(host, 'pkill', [
    '-TERM',
    '-f',
    name === 'client' ? 'bin/pqconnect( |$)' : 'bin/pqconnect-server( |$)',
  ]);
  await waitFor(`${name} daemon to stop`, async () =>
    lab.logs(name).includes('stopped; rules and devices removed'),
  );
}

describe('daemons in network namespaces', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;
  let scenario: Scenario;

  before(async () => {
    await rm(TRACE, { force: true });
    lab = await createLab('pqe');
    scenario = await createServerKeys(lab);
    await startDns(lab, scenario);
    await startWebServer(lab);
    await startServerDaemon(lab, scenario, ['--metrics', '9109']);
    await startClientDaemon(lab, ['--trace', TRACE, '--metrics', '9108']);
  });
  after(async () => {
    await lab?.destroy();
    await rm(TRACE, { force: true });
  });

  it('carries HTTP and ping by name through the tunnel; a plain name goes direct', async () => {
    const page = await curl(lab, 'http://www.demo.test/');
    assert.equal(page.code, 0);
    assert.match(page.stdout, /hello from the PQConnect demo server/);
    await waitFor('the web server to see the tunnel address', async () =>
      /10\.42\.0\.2 .*GET \//.test(lab.logs('web')),
    );
    const ping = await lab.run(lab.client, 'ping', ['-c', '2', '-W', '2', 'www.demo.test'], 10_000);
    assert.equal(ping.code, 0, ping.stdout);
    const plain = await curl(lab, 'http://plain.demo.test/');
    assert.equal(plain.code, 0);
    await waitFor('the web server to see the client directly', async () =>
      /10\.77\.0\.1 .*GET \//.test(lab.logs('web')),
    );
  });

  it('streams live transitions to pqconnect viz --live and records the trace file', async () => {
    lab.start(lab.client, BIN('pqconnect'), ['viz', '--live', '--port', '8099'], 'viz');
    await waitFor('viz --live', async () =>
      lab.logs('viz').includes('live view of the client daemon'),
    );
    const page = await lab.run(lab.client, 'curl', ['-sS', 'http://127.0.0.1:8099/']);
    assert.match(page.stdout, /PQConnect state charts/);
    const events = await lab.run(lab.client, 'curl', [
      '-sS',
      '-N',
      '--max-time',
      '2',
      'http://127.0.0.1:8099/events',
    ]);
    assert.match(events.stdout, /data: .*"machine":"clientSession".*"established"/);
    const status = await lab.run(lab.client, 'curl', ['-sS', 'http://127.0.0.1:8099/status']);
    assert.match(status.stdout, /"sessions"/);
    const trace = await readFile(TRACE, 'utf8');
    assert.match(trace, /"machine":"daemonSupervisor".*"running"/);
    assert.match(trace, /"machine":"clientSession".*"established"/);
    assert.equal((await stat(TRACE)).mode & 0o777, 0o600);
  });

  it('pqconnect status shows the daemon and each peer as wg show does; --json the same facts', async () => {
    const text = (await lab.run(lab.client, BIN('pqconnect'), ['status'])).stdout;
    assert.match(text, /^pqconnect \d+\.\d+\.\d+: pid \d+ \(worker \d+\), up \d+/);
    assert.match(
      text,
      /\npeer: www\.demo\.test\n {2}pq1 name: pq1[a-z0-9]{52,60}\.demo\.test\n {2}endpoint: 10\.77\.0\.2:42424\n/,
    );
    assert.match(text, /\n {2}state: established\.\w+ for \d+/);
    assert.match(text, /\n {2}latest handshake: \d+s ago \(took \d+ ms\)\n/);
    assert.match(
      text,
      /\n {2}transfer: [\d.]+ (B|KiB), \d+ packets received; [\d.]+ (B|KiB), \d+ packets sent\n/,
    );
    const json = await clientStatus(lab);
    assert.match(String(json.version), /^\d+\.\d+\.\d+$/);
    assert.ok(Number(json.uptimeSeconds) >= 0);
    const server = (await lab.run(lab.server, BIN('pqconnect-server'), ['status'])).stdout;
    assert.match(server, /\nclient: 10\.77\.0\.1:\d+\n {2}inner address: 10\.42\.0\.2\n/);
    process.stdout.write(`# ${text.split('\n').join('\n# ')}\n`);
  });

  it('serves Prometheus metrics on loopback with --metrics, which promtool accepts', async () => {
    const scrape = async (host: Host, port: number) => {
      const result = await lab.run(host, 'curl', [
        '-sS',
        '-m',
        '5',
        `http://127.0.0.1:${port}/metrics`,
      ]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    const client = await scrape(lab.client, 9108);
    const server = await scrape(lab.server, 9109);
    for (const text of [client, server]) {
      const check = await lab.run(lab.client, 'sh', [
        '-c',
        `printf '%s' "$1" | promtool check metrics`,
        'sh',
        text,
      ]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(text, /^pqconnect_tunnel_bytes_total\{direction="in"\} [1-9]\d*$/m);
      assert.match(text, /^pqconnect_sessions\{state="established"\} 1$/m);
    }
    assert.match(client, /^pqconnect_handshakes_total\{event="sent"\} [1-9]/m);
    assert.match(client, /^pqconnect_static_key_download_seconds_count 1$/m);
    assert.match(server, /^pqconnect_handshakes_total\{event="accepted"\} [1-9]/m);
    assert.match(
      server,
      /^pqconnect_info\{role="server",version="\d+\.\d+\.\d+",instance=""\} 1$/m,
    );
    const outside = await lab.run(lab.client, 'curl', [
      '-sS',
      '-m',
      '3',
      `http://${lab.client.address}:9108/metrics`,
    ]);
    assert.notEqual(outside.code, 0, 'loopback only unless an address is given');
    const other = await lab.run(lab.client, 'curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://127.0.0.1:9108/',
    ]);
    assert.equal(other.stdout, '404');
  });

  it('confines the worker: unprivileged, no capabilities in any set, no_new_privs, seccomp filter, not dumpable, only its descriptors', async () => {
    const status = await clientStatus(lab);
    const procStatus = await readFile(`/proc/${status.workerPid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(procStatus)?.[1];
    assert.notEqual(field('Uid'), '0');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      assert.equal(Number.parseInt(field(set)!, 16), 0, `${set} ${field(set)}`);
    assert.equal(field('NoNewPrivs'), '1');
    assert.equal(field('Seccomp'), '2', 'seccomp filter mode');
    assert.equal(field('Seccomp_filters'), '1');
    assert.equal(
      (await stat(`/proc/${status.workerPid}/mem`)).uid,
      0,
      'not dumpable: /proc/<pid> belongs to root',
    );
    const fds = await readdir(`/proc/${status.workerPid}/fd`);
    const targets = await Promise.all(
      fds.map((fd) => readlink(`/proc/${status.workerPid}/fd/${fd}`).catch(() => '')),
    );
    assert.equal(
      targets.filter((t) => t === '/dev/net/tun').length,
      1,
      'one TUN descriptor, the one passed',
    );
    process.stdout.write(
      `# worker /proc status: ${['Uid', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'].map((n) => `${n} ${field(n)}`).join(', ')}; ${fds.length} descriptors\n`,
    );
  });

  it('logs lines with a timestamp and a level, worker lines attributed to the worker', async () => {
    const lines = lab.logs('client').trimEnd().split('\n');
    for (const line of lines)
      assert.match(
        line,
        /^\d{4}-\d\d-\d\dT[\d:.]+Z (INFO|WARN) pqconnect(-worker)?\[\d+\]: \S/,
        line,
      );
    assert.ok(lines.some((l) => / INFO pqconnect\[\d+\]: client up: /.test(l)));
    assert.ok(lines.some((l) => / INFO pqconnect-worker\[\d+\]: client engine up/.test(l)));
    assert.ok(
      lines.some((l) => /: www\.demo\.test: now established\.up \(/.test(l)),
      'transitions in words',
    );
    assert.doesNotMatch(lab.logs('client'), /xstate\./, 'no XState internals in the log');
    assert.ok(
      lines.some((l) =>
        /www\.demo\.test \(pq1[a-z0-9]{13}…\): tunnel established in \d+ ms \(static key 1\.0 MB in \d+ ms\)/.test(
          l,
        ),
      ),
      'the first tunnel says how long it and the static key took',
    );
    assert.ok(
      lines.some((l) =>
        /www\.demo\.test: static key level \d received, \d+ of \d+ nodes verified/.test(l),
      ),
      'key-download progress at -v',
    );
    assert.doesNotMatch(lab.logs('client'), /pkh [0-9a-f]{16}/, 'pq1 names, not hex key hashes');
  });

  it('lets a malformed DNS answer through untouched', async () => {
    await lab.run(lab.dns, 'ip', ['addr', 'add', '10.77.0.4/24', 'dev', 'eth0']);
    const garbage = 'abcd8180000100010000000003777777';
    const responder = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>{const g=Buffer.from('${garbage}','hex');m.copy(g,0,0,2);s.send(g,r.port,r.address)});s.bind(53,'10.77.0.4')`;
    lab.start(lab.dns, process.execPath, ['-e', responder], 'garbage-dns');
    await new Promise((r) => setTimeout(r, 500));
    const ask = `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{console.log(m.toString('hex'));process.exit(0)});s.send(Buffer.from('12340100000100000000000003777777','hex'),53,'10.77.0.4');setTimeout(()=>process.exit(3),3000)`;
    const result = await lab.run(lab.client, process.execPath, ['-e', ask]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `1234${garbage.slice(4)}`);
  });

  it('recovers when the server restarts mid-session', async () => {
    assert.equal((await curl(lab, 'http://www.demo.test/')).code, 0);
    await stopDaemon(lab, 'server');
    await startServerDaemon(lab, scenario);
    const again = await curl(lab, 'http://www.demo.test/', 30);
    assert.equal(again.code, 0, lab.logs('client'));
  });

  it('counts what the kernel refuses the worker (a TUN write while the device is down)', async () => {
    const field = 'drop: tun: write refused by the kernel';
    const before = (await clientStatus(lab)).counters[field] ?? 0;
    await lab.run(lab.client, 'ip', ['link', 'set', 'pqccli0', 'down']);
    try {
      await lab.run(lab.server, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', '10.42.0.2'], 10_000);
    } finally {
      await lab.run(lab.client, 'ip', ['link', 'set', 'pqccli0', 'up']);
    }
    const after = (await clientStatus(lab)).counters[field] ?? 0;
    assert.ok(after > before, `${field}: ${before} -> ${after}`);
  });

  it('removes its rules, device and worker on SIGTERM', async () => {
    const status = await clientStatus(lab);
    await stopDaemon(lab, 'client');
    assert.deepEqual(
      (await leftovers(lab)).filter((item) => /iptables|nftables/.test(item)),
      [],
      'no iptables chains or nftables table left',
    );
    const link = await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0']);
    assert.notEqual(link.code, 0, 'TUN device gone');
    await assert.rejects(readFile(`/proc/${status.workerPid}/status`), 'worker process gone');
  });

  it('a start that fails after the worker runs undoes everything and names the problem', async () => {
    const failed = await lab.run(lab.client, BIN('pqconnect'), [
      '--run-dir',
      '/proc/pqconnect-test',
    ]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      failed.stderr,
      /stopped; rules and devices removed\n.*pqconnect: .*\/proc\/pqconnect-test/s,
    );
    const workerPid = /worker started as pqconnect \(uid \d+, pid (\d+)\)/.exec(failed.stderr)?.[1];
    assert.ok(workerPid !== undefined, failed.stderr);
    await assert.rejects(readFile(`/proc/${workerPid}/status`), 'its worker is gone');
    assert.deepEqual(await clientLeftovers(lab), []);
  });

  it('a metrics port in use ends the start before anything is installed (exit 1, one line)', async () => {
    lab.start(
      lab.client,
      process.execPath,
      ['-e', "require('net').createServer().listen(9108, '127.0.0.1')"],
      'squatter',
    );
    await waitFor('the squatter to listen', async () =>
      (await lab.run(lab.client, 'ss', ['-Hltn', 'sport = :9108'])).stdout.includes('9108'),
    );
    const failed = await lab.run(lab.client, BIN('pqconnect'), ['--metrics', '9108']);
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr.trim().split('\n').at(-1),
      'pqconnect: --metrics 127.0.0.1:9108: EADDRINUSE',
    );
    assert.doesNotMatch(failed.stderr, /worker started|firewall:/, 'nothing was started');
    assert.deepEqual(await clientLeftovers(lab), []);
  });
});

describe('plain fallback and strict mode', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;

  before(async () => {
    lab = await createLab('pqf');
    const scenario = await createServerKeys(lab);
    await startDns(lab, scenario);
    await startWebServer(lab);
    await startServerDaemon(lab, scenario);
    await lab.run(lab.server, 'iptables', [
      '-I',
      'INPUT',
      '-p',
      'udp',
      '--dport',
      '42425',
      '-j',
      'DROP',
    ]);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('falls back to plain traffic when the key port is blocked, and says so', async () => {
    await startClientDaemon(lab);
    const page = await curl(lab, 'http://www.demo.test/', 30);
    assert.equal(page.code, 0, lab.logs('client'));
    assert.match(lab.logs('client'), /plain fallback: 10\.43\.0\.2 -> 10\.77\.0\.2/);
    await stopDaemon(lab, 'client');
  });

  it('--strict never falls back', async () => {
    await startClientDaemon(lab, ['--strict']);
    const page = await curl(lab, 'http://www.demo.test/', 12);
    assert.notEqual(page.code, 0);
    assert.doesNotMatch(lab.logs('client').split('client up').at(-1)!, /plain fallback:/);
  });
});
