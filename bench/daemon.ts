/**
 * npm run bench:daemon (as root) — the daemons between network namespaces: iperf3 TCP
 * throughput through the tunnel and direct, ping RTT through the tunnel and direct, and
 * the memory of the four processes (client and server, root part and worker): idle with
 * one tunnel, and after the iperf3 runs.
 */
import { readFile } from 'node:fs/promises';
import { createLab, type Lab } from '../demo/lab.ts';
import {
  BIN,
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

/** VmRSS (what `ps` shows), its private anonymous part, and PSS (shared pages split among their users). */
async function memoryOf(pid: number | undefined): Promise<string> {
  if (pid === undefined) return '?';
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (text: string, field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  const mib = (k: number) => (k / 1024).toFixed(0);
  return `${mib(kib(status, 'VmRSS'))} (anon ${mib(kib(status, 'RssAnon'))}, PSS ${mib(kib(rollup, 'Pss'))})`;
}

async function memoryRows(lab: Lab, when: string): Promise<[string, string][]> {
  const client = await statusOf(lab, 'client');
  const server = await statusOf(lab, 'server');
  return [
    [`client MiB ${when}: root part`, await memoryOf(client.pid)],
    [`client MiB ${when}: worker`, await memoryOf(client.workerPid)],
    [`server MiB ${when}: root part`, await memoryOf(server.pid)],
    [`server MiB ${when}: worker`, await memoryOf(server.workerPid)],
  ];
}

async function statusOf(
  lab: Lab,
  role: 'client' | 'server',
): Promise<{ pid: number; workerPid: number }> {
  const host = role === 'client' ? lab.client : lab.server;
  const tool = BIN(role === 'client' ? 'pqconnect' : 'pqconnect-server');
  return JSON.parse((await lab.run(host, tool, ['status', '--json'])).stdout);
}

const IDLE_MS = 10_000;

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
    ];
    await new Promise((r) => setTimeout(r, IDLE_MS));
    rows.push(...(await memoryRows(lab, `idle, one tunnel, after ${IDLE_MS / 1000} s`)));
    rows.push(
      ['iperf3 TCP through the tunnel (5 s)', await iperf(lab, 'www.demo.test')],
      ['iperf3 TCP direct (5 s)', await iperf(lab, lab.server.address)],
    );
    rows.push(...(await memoryRows(lab, 'after iperf3')));
    console.log('\nPQConnect daemons between network namespaces (veth + bridge, this machine)');
    for (const [name, value] of rows) console.log(`${name.padEnd(56)} ${value}`);
  } finally {
    await lab.destroy();
  }
}

await main();
