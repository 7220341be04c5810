/**
 * npm run bench:daemon (as root) — the daemons between network namespaces: iperf3 TCP
 * throughput through the tunnel and direct, ping RTT through the tunnel and direct, and
 * the resident memory of the four processes (client and server, root part and worker).
 */
import { readFile } from 'node:fs/promises';
import { createLab, type Lab } from '../demo/lab.ts';
import {
  createServerKeys,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../demo/scenario.ts';

async function iperf(lab: Lab, target: string): Promise<string> {
  const result = await lab.run(lab.client, 'iperf3', ['-c', target, '-t', '5', '-J'], 30_000);
  if (result.code !== 0) return `failed: ${result.stderr || result.stdout.slice(0, 200)}`;
  const json = JSON.parse(result.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return `${(json.end.sum_received.bits_per_second / 1e6).toFixed(0)} Mbit/s`;
}

async function ping(lab: Lab, target: string): Promise<string> {
  const result = await lab.run(
    lab.client,
    'ping',
    ['-c', '20', '-i', '0.05', '-q', target],
    30_000,
  );
  return /rtt min\/avg\/max\/mdev = ([\d./]+)/.exec(result.stdout)?.[1] ?? 'failed';
}

async function rssOf(pid: number | undefined): Promise<string> {
  if (pid === undefined) return '?';
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return `${Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)} MiB`;
}

async function statusOf(
  lab: Lab,
  role: 'client' | 'server',
): Promise<{ pid: number; workerPid: number }> {
  const host = role === 'client' ? lab.client : lab.server;
  const script = role === 'client' ? 'src/cli/pqconnect.ts' : 'src/cli/pqconnect-server.ts';
  return JSON.parse(
    (await lab.run(host, process.execPath, ['--import', 'tsx', script, 'status', '--json'])).stdout,
  );
}

async function main(): Promise<void> {
  const lab = await createLab('pqb');
  try {
    const scenario = await createServerKeys(lab);
    await startDns(lab, scenario);
    await startWebServer(lab);
    await startServerDaemon(lab, scenario);
    await startClientDaemon(lab);
    lab.start(lab.server, 'iperf3', ['-s'], 'iperf');
    await new Promise((r) => setTimeout(r, 500));
    await lab.run(lab.client, 'ping', ['-c', '1', 'www.demo.test'], 10_000);
    const rows: [string, string][] = [
      ['ping RTT through the tunnel, min/avg/max/mdev ms', await ping(lab, 'www.demo.test')],
      ['ping RTT direct, min/avg/max/mdev ms', await ping(lab, lab.server.address)],
      ['iperf3 TCP through the tunnel (5 s)', await iperf(lab, 'www.demo.test')],
      ['iperf3 TCP direct (5 s)', await iperf(lab, lab.server.address)],
    ];
    const client = await statusOf(lab, 'client');
    const server = await statusOf(lab, 'server');
    rows.push([
      'client RSS: root part / worker',
      `${await rssOf(client.pid)} / ${await rssOf(client.workerPid)}`,
    ]);
    rows.push([
      'server RSS: root part / worker',
      `${await rssOf(server.pid)} / ${await rssOf(server.workerPid)}`,
    ]);
    console.log('\nPQConnect daemons between network namespaces (veth + bridge, this machine)');
    for (const [name, value] of rows) console.log(`${name.padEnd(50)} ${value}`);
  } finally {
    await lab.destroy();
  }
}

await main();
