/**
 * The firewall with both DNS diversion backends in a throw-away network namespace: DNS
 * interception (nftables only where the kernel supports it) and the nftables NAT with
 * its fallback map installed, a route added and removed, everything gone afterwards,
 * also after 250 routes (removal time printed for 1 and 250). Detection picks nftables
 * only where nft queue works.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT_USER = process.getuid?.() === 0;
const PROJECT = fileURLToPath(new URL('../..', import.meta.url));
const NS = `pqfw${process.pid}`;

function exec(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: PROJECT, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
}

interface ProbeResult {
  detected: string;
  dns: string;
  withRoute: string;
  withoutRoute: string;
  after: string;
  removal: { one: number; many: number };
  afterMany: string;
}

async function probe(backend: string): Promise<ProbeResult> {
  const result = await exec('ip', [
    'netns',
    'exec',
    NS,
    process.execPath,
    '--import',
    'tsx',
    'test/support/firewall-probe.ts',
    backend,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ProbeResult;
}

/** The NAT part both backends share: the fallback map, its DNAT rule, MASQUERADE and SNAT. */
function assertNat(result: ProbeResult): void {
  assert.match(result.withRoute, /table ip pqconnect/);
  assert.match(result.withRoute, /10\.43\.0\.5 : 203\.0\.113\.7/);
  assert.match(result.withRoute, /dnat to ip daddr map @fallback/);
  assert.match(result.withRoute, /ip saddr 10\.43\.0\.0\/16 oifname != "pqccli0" masquerade/);
  assert.match(result.withRoute, /oifname "pqccli0" ip saddr != 10\.43\.0\.1 snat to 10\.43\.0\.1/);
  assert.doesNotMatch(result.withoutRoute, /10\.43\.0\.5 : 203\.0\.113\.7/);
  assert.doesNotMatch(result.after, /pqconnect|PQCONNECT/);
  assert.doesNotMatch(result.afterMany, /pqconnect|PQCONNECT/);
  process.stdout.write(
    `# removing everything: ${result.removal.one} ms with 1 route, ${result.removal.many} ms with 250\n`,
  );
}

describe('firewall backends', {
  skip: ROOT_USER ? false : 'needs root (network namespaces, iptables, nft)',
}, () => {
  before(async () => {
    await exec('ip', ['netns', 'del', NS]);
    assert.equal((await exec('ip', ['netns', 'add', NS])).code, 0);
  });
  after(async () => {
    await exec('ip', ['netns', 'del', NS]);
  });

  it('iptables DNS chain, nftables NAT map; a route comes and goes; nothing left, also after 250 routes', async () => {
    const result = await probe('iptables');
    assert.equal(result.dns, 'installed');
    assert.match(
      result.withRoute,
      /-A PQCONNECT-DNS -p udp -m udp --sport 53 -j NFQUEUE --queue-num 4242 --queue-bypass/,
    );
    assertNat(result);
    assert.doesNotMatch(result.after, /PQCONNECT/);
  });

  it('nftables: one table with DNS chains (where supported) and the NAT map; nothing left', async () => {
    const result = await probe('nftables');
    assert.match(result.withRoute, /table ip pqconnect/);
    assertNat(result);
    const queueWorks = result.dns === 'installed';
    assert.equal(result.detected, queueWorks ? 'nftables' : 'iptables', `DNS: ${result.dns}`);
  });
});
