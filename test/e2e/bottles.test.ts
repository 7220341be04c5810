/**
 * Client-in-a-bottle and server-in-a-bottle, end to end: a machine routed through the
 * client host (which runs `pqconnect --bottle`) fetches a page from a machine behind the
 * server host (which runs `pqconnect-server --host-ip`), through the tunnel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  createServerKeys,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../../demo/scenario.ts';

const ROOT = process.getuid?.() === 0;

describe('client- and server-in-a-bottle', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;

  before(async () => {
    lab = await createLab('pqv', { bottles: true });
    const scenario = await createServerKeys(lab);
    await startDns(lab, scenario);
    await startWebServer(lab, lab.serverSide);
    await startServerDaemon(lab, scenario, ['--host-ip', lab.serverSide!.address]);
    await lab.run(lab.client, 'iptables', [
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      '10.78.1.0/24',
      '-o',
      'eth0',
      '-j',
      'MASQUERADE',
    ]);
    await startClientDaemon(lab, ['--bottle']);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('carries a protected machine’s connection to a machine behind the server', async () => {
    const host = lab.clientSide!;
    const resolved = await lab.run(host, 'getent', ['hosts', 'www.demo.test']);
    assert.match(
      resolved.stdout,
      /^10\.43\.0\.2\s/,
      'DNS answer forwarded to the protected machine was rewritten',
    );
    const page = await lab.run(
      host,
      'curl',
      ['-sS', '--max-time', '20', 'http://www.demo.test/'],
      25_000,
    );
    assert.equal(page.code, 0, `${page.stderr}\n${lab.logs('client')}\n${lab.logs('server')}`);
    assert.match(page.stdout, /hello from the PQConnect demo server/);
    await waitFor('the web server behind the server to see the tunnel address', async () =>
      /10\.42\.0\.2 .*GET \//.test(lab.logs('web')),
    );
  });

  it('-H delivers decrypted traffic straight to the protected host (the deployed tool’s mode)', async () => {
    await lab.run(lab.client, 'pkill', ['-TERM', '-f', 'bin/pqconnect( |$)']);
    await waitFor('client to stop', async () =>
      lab.logs('client').includes('stopped; rules and devices removed'),
    );
    await startClientDaemon(lab, ['-H', lab.clientSide!.address]);
    const page = await lab.run(
      lab.clientSide!,
      'curl',
      ['-sS', '--max-time', '20', 'http://www.demo.test/'],
      25_000,
    );
    assert.equal(page.code, 0, `${page.stderr}\n${lab.logs('client')}`);
    assert.match(page.stdout, /hello from the PQConnect demo server/);
    const rules = await lab.run(lab.client, 'nft', ['list', 'table', 'ip', 'pqconnect']);
    assert.match(rules.stdout, /masquerade/, 'the NAT table is there');
    assert.doesNotMatch(rules.stdout, /snat to/, 'no SNAT needed in -H mode');
  });
});
