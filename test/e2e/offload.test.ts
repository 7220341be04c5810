/**
 * End-to-end with the kernel offloads on (TUN TSO and coalesced writes, UDP GSO/GRO) and
 * off: 8 MB up and 8 MB down through the tunnel arrive byte for byte, ping and a UDP
 * exchange (DNS over the tunnel is not used, so iperf3's UDP stands in) still work, and
 * nothing is dropped for the offloads' sake. Needs root.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  createServerKeys,
  startClientDaemon,
  startDns,
  startServerDaemon,
} from '../../demo/scenario.ts';
import { clientStatus } from '../support/daemon-status.ts';

const ROOT = process.getuid?.() === 0;
const BULK = fileURLToPath(new URL('bulk-transfer.py', import.meta.url));
const BYTES = 8 * 1024 * 1024;
const PORT = 9400;

async function transfer(lab: Lab, target: string, direction: 'up' | 'down', seed: number) {
  const result = await lab.run(
    lab.client,
    'python3',
    [BULK, direction, target, String(PORT), String(BYTES), String(seed)],
    120_000,
  );
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { sent: string; arrived: string; bytes?: number };
}

for (const mode of ['auto', 'off'] as const) {
  describe(`bulk traffic through the tunnel, --offload ${mode}`, {
    skip: ROOT ? false : 'needs root (network namespaces, TUN)',
  }, () => {
    let lab: Lab;
    let target: string;

    before(async () => {
      lab = await createLab('pqo');
      const scenario = await createServerKeys(lab);
      await startDns(lab, scenario);
      await startServerDaemon(lab, scenario, ['--offload', mode]);
      await startClientDaemon(lab, ['--offload', mode]);
      lab.start(lab.server, 'python3', [BULK, 'serve', String(PORT)], 'bulk');
      lab.start(lab.server, 'iperf3', ['-s'], 'iperf');
      await waitFor('the bulk server', async () => lab.logs('bulk').includes('listening'));
      const resolved = await lab.run(lab.client, 'getent', ['hosts', 'www.demo.test']);
      target = resolved.stdout.split(/\s+/)[0] ?? '';
      assert.match(target, /^10\.43\./);
    });
    after(async () => lab?.destroy());

    it('says which offloads it uses', () => {
      for (const name of ['client', 'server']) {
        const line =
          lab
            .logs(name)
            .split('\n')
            .find((l) => l.includes('offloads:')) ?? '';
        if (mode === 'off') assert.match(line, /offloads: off \(--offload off\)/);
        else assert.match(line, /offloads: TUN TSO on, UDP GRO on/);
      }
    });

    it('carries 8 MB up and 8 MB down intact', async () => {
      const up = await transfer(lab, target, 'up', 1);
      assert.equal(up.arrived, up.sent, 'upload hash');
      const down = await transfer(lab, target, 'down', 2);
      assert.equal(down.bytes, BYTES);
      assert.equal(down.arrived, down.sent, 'download hash');
    });

    it('carries ping and UDP datagrams, and drops nothing for the offloads', async () => {
      const ping = await lab.run(lab.client, 'ping', ['-c', '3', '-W', '2', target], 10_000);
      assert.match(ping.stdout, / 0% packet loss/);
      const udp = await lab.run(
        lab.client,
        'iperf3',
        ['-c', target, '-u', '-b', '20M', '-l', '1000', '-t', '1', '-J'],
        30_000,
      );
      assert.equal(udp.code, 0, udp.stdout.slice(0, 300));
      const sum = (JSON.parse(udp.stdout) as { end: { sum: { packets: number } } }).end.sum;
      assert.ok(sum.packets > 100, `${sum.packets} UDP datagrams`);
      const { counters } = await clientStatus(lab);
      for (const name of Object.keys(counters))
        assert.doesNotMatch(name, /inner packet|refused by the kernel|authentication/, name);
    });
  });
}
