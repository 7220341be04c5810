/**
 * One instance, own paths, with the real daemons in network namespaces (root): a second
 * `pqconnect` or `pqconnect-server` in the same namespace exits with one line and changes
 * nothing (rules, device, sessions); a daemon in another namespace is refused a run
 * directory in use and runs with its own, each `status --run-dir` answering for its
 * daemon; after a SIGKILL the next start takes over (no stale lock) and works.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Host } from '../../demo/lab.ts';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  BIN,
  createServerKeys,
  type Scenario,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../../demo/scenario.ts';

const ROOT = process.getuid?.() === 0;
const RUN_A = '/tmp/pqi-run-a';
const RUN_B = '/tmp/pqi-run-b';
const RUN_C = '/tmp/pqi-run-c';
const RUN_SERVER = '/tmp/pqi-run-server';

/** The firewall state of a namespace, without the packet counters that traffic changes. */
async function rules(lab: Lab, host: Host): Promise<string> {
  const iptables = await lab.run(host, 'iptables-save', []);
  const nat = await lab.run(host, 'iptables-save', ['-t', 'nat']);
  const nft = await lab.run(host, 'nft', ['list', 'ruleset']);
  return [iptables.stdout, nat.stdout, nft.stdout]
    .join('\n')
    .replace(/\[\d+:\d+\]/g, '')
    .replace(/packets \d+ bytes \d+/g, '')
    .replace(/^#.*$/gm, '');
}

async function status(lab: Lab, host: Host, runDir: string, role = 'client') {
  const tool = BIN(role === 'client' ? 'pqconnect' : 'pqconnect-server');
  const result = await lab.run(host, tool, ['status', '--json', '--run-dir', runDir]);
  return JSON.parse(result.stdout) as {
    pid: number;
    sessions: { state: unknown }[];
    error?: string;
  };
}

async function curlWorks(lab: Lab): Promise<boolean> {
  const page = await lab.run(
    lab.client,
    'curl',
    ['-sS', '--max-time', '10', 'http://www.demo.test/'],
    15_000,
  );
  return page.code === 0 && /hello from the PQConnect demo server/.test(page.stdout);
}

describe('one instance per namespace, own run directories (namespaces)', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;
  let scenario: Scenario;

  before(async () => {
    for (const dir of [RUN_A, RUN_B, RUN_C, RUN_SERVER])
      await rm(dir, { recursive: true, force: true });
    lab = await createLab('pqi', { attacker: true });
    scenario = await createServerKeys(lab);
    await startDns(lab, scenario);
    await startWebServer(lab);
    await startServerDaemon(lab, scenario, ['--run-dir', RUN_SERVER]);
    await startClientDaemon(lab, ['--run-dir', RUN_A]);
    assert.ok(await curlWorks(lab));
  });
  after(async () => {
    await lab?.destroy();
    for (const dir of [RUN_A, RUN_B, RUN_C, RUN_SERVER])
      await rm(dir, { recursive: true, force: true });
  });

  it('a second pqconnect in the same namespace exits with one line and changes nothing', async () => {
    const first = await status(lab, lab.client, RUN_A);
    const before = await rules(lab, lab.client);
    const second = await lab.run(lab.client, BIN('pqconnect'), ['--run-dir', RUN_B], 20_000);
    assert.equal(second.code, 1);
    assert.equal(second.stderr, `pqconnect: already running (pid ${first.pid})\n`);
    assert.equal(await rules(lab, lab.client), before, 'rules unchanged');
    assert.equal((await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0'])).code, 0);
    assert.ok(await curlWorks(lab), 'the first instance still protects the names');
    const after = await status(lab, lab.client, RUN_A);
    assert.equal(after.pid, first.pid);
    assert.ok(after.sessions.length === 1);
  });

  it('a second pqconnect-server in the same namespace exits with one line', async () => {
    const first = await status(lab, lab.server, RUN_SERVER, 'server');
    const second = await lab.run(
      lab.server,
      BIN('pqconnect-server'),
      ['--keydir', scenario.keyDir, '--run-dir', RUN_B],
      20_000,
    );
    assert.equal(second.code, 1);
    assert.equal(second.stderr, `pqconnect-server: already running (pid ${first.pid})\n`);
    assert.ok(await curlWorks(lab));
  });

  it('another namespace is refused a run directory in use, and runs with its own', async () => {
    const other = lab.attacker!;
    const refused = await lab.run(other, BIN('pqconnect'), ['--run-dir', RUN_A], 20_000);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^pqconnect: \/tmp\/pqi-run-a\/client\.sock belongs to another running instance; give this one its own --run-dir \(not \/tmp\/pqi-run-a\)\n$/,
    );
    assert.doesNotMatch(await rules(lab, other), /PQCONNECT|pqconnect/, 'nothing installed there');
    assert.notEqual((await lab.run(other, 'ip', ['link', 'show', 'pqccli0'])).code, 0);
    assert.equal((await status(lab, lab.client, RUN_A)).sessions.length, 1, 'first socket intact');

    const child = lab.start(other, BIN('pqconnect'), ['--run-dir', RUN_C], 'other-client');
    await waitFor('the second namespace client', async () =>
      lab.logs('other-client').includes('client up'),
    );
    assert.equal((await status(lab, other, RUN_C)).sessions.length, 0);
    assert.equal((await status(lab, lab.client, RUN_A)).sessions.length, 1);
    child.kill('SIGTERM');
    await waitFor('the second namespace client to stop', async () =>
      lab.logs('other-client').includes('stopped; rules and devices removed'),
    );
    assert.ok(await curlWorks(lab));
  });

  it('after a SIGKILL the next start takes over: no stale lock, stale rules removed', async () => {
    const first = await status(lab, lab.client, RUN_A);
    process.kill(first.pid, 'SIGKILL');
    await waitFor('the killed client to be gone', async () => {
      try {
        process.kill(first.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await startClientDaemon(lab, ['--run-dir', RUN_A]);
    const next = await status(lab, lab.client, RUN_A);
    assert.notEqual(next.pid, first.pid);
    assert.ok(await curlWorks(lab));
  });
});
