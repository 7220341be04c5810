/**
 * `pqconnect-server-check` in namespaces against our server daemon: a good set-up passes
 * every check (exit 0); a key directory that is not the announced one, a name without
 * a CNAME, a name announcing another key, and a blocked key port each fail the check
 * they break, with a hint (exit 1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  BIN,
  createServerKeys,
  type Scenario,
  startDns,
  startServerDaemon,
} from '../../demo/scenario.ts';

const ROOT = process.getuid?.() === 0;

describe('pqconnect-server-check (namespaces)', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN)',
}, () => {
  let lab: Lab;
  let good: Scenario;
  let other: Scenario;

  before(async () => {
    lab = await createLab('pqk');
    good = await createServerKeys(lab);
    other = await createServerKeys(lab);
    await startDns(lab, good, [
      `--host-record=${other.pq1Name},${lab.server.address}`,
      `--cname=forged.demo.test,${other.pq1Name}`,
      `--host-record=nocname.demo.test,${lab.server.address}`,
    ]);
    await startServerDaemon(lab, good);
  });
  after(async () => {
    await lab?.destroy();
  });

  async function check(host: 'client' | 'server', args: string[]) {
    const result = await lab.run(lab[host], BIN('pqconnect-server-check'), args, 60_000);
    const marks = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const found = /^([✓✗]) ([A-Za-z0-9 ]+):/.exec(line);
      if (found) marks.set(found[2]!, found[1]!);
    }
    return { ...result, marks };
  }

  it('passes every check on the server host for a good set-up', async () => {
    const result = await check('server', ['-d', good.keyDir, 'www.demo.test']);
    process.stdout.write(result.stdout.replace(/^/gm, '# '));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const what of [
      'CNAME chain',
      'pq1 label',
      'address',
      'local keys',
      'local ports',
      'key server',
      'handshake',
    ])
      assert.equal(result.marks.get(what), '✓', what);
  });

  it('fails "local keys" for a key directory that is not the announced one', async () => {
    const result = await check('server', ['-d', other.keyDir, 'www.demo.test']);
    assert.equal(result.code, 1);
    assert.equal(result.marks.get('local keys'), '✗');
    assert.match(result.stdout, /hint: publish the records/);
    assert.equal(result.marks.get('handshake'), '✓', 'the server itself is fine');
  });

  it('fails "CNAME chain" for a name without one', async () => {
    const result = await check('client', ['-D', 'nocname.demo.test']);
    assert.equal(result.code, 1);
    assert.equal(result.marks.get('CNAME chain'), '✗');
    assert.match(result.stdout, /hint: add "nocname\.demo\.test\. CNAME pq1/);
  });

  it('fails the key server and the handshake for a name announcing another key', async () => {
    const result = await check('client', ['-D', '--timeout', '3', 'forged.demo.test']);
    assert.equal(result.code, 1);
    assert.equal(result.marks.get('CNAME chain'), '✓');
    assert.equal(result.marks.get('key server'), '✗');
    assert.match(result.stdout, /does not hash to the announced key hash/);
    assert.equal(result.marks.get('handshake'), '✗');
  });

  it('fails the key server when its port is blocked', async () => {
    const block = ['-p', 'udp', '--dport', '42425', '-j', 'DROP'];
    await lab.run(lab.server, 'iptables', ['-I', 'INPUT', ...block]);
    try {
      const result = await check('client', ['-D', '--timeout', '3', 'www.demo.test']);
      assert.equal(result.code, 1);
      assert.equal(result.marks.get('key server'), '✗');
      assert.match(result.stdout, /no answer within 3000 ms/);
      assert.match(result.stdout, /firewall pass UDP 10\.77\.0\.2:42425/);
    } finally {
      await lab.run(lab.server, 'iptables', ['-D', 'INPUT', ...block]);
    }
  });

  it('--local checks this instance with the local keys, no DNS', async () => {
    const result = await check('server', ['--local', lab.server.address, '-d', good.keyDir]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(
      [...result.marks],
      [
        ['key server', '✓'],
        ['handshake', '✓'],
      ],
    );
    const wrong = await check('server', ['--local', lab.server.address, '-d', other.keyDir]);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.marks.get('key server'), '✗');
  });

  it('--local stops at a key server that does not answer (a quick verdict)', async () => {
    const block = ['-p', 'udp', '--dport', '42425', '-j', 'DROP'];
    await lab.run(lab.server, 'iptables', ['-I', 'INPUT', ...block]);
    try {
      const args = ['--local', lab.server.address, '-d', good.keyDir, '--timeout', '1'];
      const result = await check('server', args);
      assert.equal(result.code, 1);
      assert.deepEqual([...result.marks], [['key server', '✗']]);
      assert.match(result.stdout, /no answer within 1000 ms/);
    } finally {
      await lab.run(lab.server, 'iptables', ['-D', 'INPUT', ...block]);
    }
  });

  it('--every keeps checking on one session: healthy, unhealthy while blocked, healthy again', async () => {
    const sessionsAtStart = await serverSessions();
    const watch = lab.start(
      lab.server,
      BIN('pqconnect-server-check'),
      ['--local', lab.server.address, '-d', good.keyDir, '--every', '0.2', '--timeout', '0.5'],
      'watch',
    );
    const lines = () => lab.logs('watch').split('\n').filter(Boolean);
    const exited = new Promise<number | null>((resolve) => watch.once('exit', resolve));
    const block = ['-p', 'udp', '--dport', '42424', '-j', 'DROP'];
    try {
      await waitFor('3 healthy rounds', async () => lines().length >= 3, 30_000);
      assert.ok(
        lines().every((l) => l.startsWith('✓ healthy: echo answered')),
        lines().join('\n'),
      );
      const added = (await serverSessions()) - sessionsAtStart;
      await lab.run(lab.server, 'iptables', ['-I', 'INPUT', ...block]);
      await waitFor('an unhealthy round', async () => lines().some((l) => l.startsWith('✗')));
      assert.match(lines().find((l) => l.startsWith('✗'))!, /^✗ unhealthy: tunnel: no echo/);
      await lab.run(lab.server, 'iptables', ['-D', 'INPUT', ...block]);
      const failedAt = lines().length;
      await waitFor('healthy again', async () =>
        lines()
          .slice(failedAt)
          .some((l) => l.startsWith('✓')),
      );
      // One kept session while healthy: the rounds before the block added one session.
      assert.equal(added, 1, `${added} sessions for ${failedAt} rounds`);
    } finally {
      await lab.run(lab.server, 'iptables', ['-D', 'INPUT', ...block]);
      watch.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  async function serverSessions(): Promise<number> {
    const status = await lab.run(lab.server, BIN('pqconnect-server'), ['status', '--json']);
    return (JSON.parse(status.stdout) as { sessions: unknown[] }).sessions.length;
  }
});
