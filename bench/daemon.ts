/**
 * npm run bench:daemon (as root) — our daemons against wireguard-go (batched I/O and
 * offloads, 0.0.20230223+) between the same two network namespaces: TCP throughput at
 * inner MTU 1200 and ~1420, UDP packets/s at 64 and 1200 bytes, ping RTT, CPU seconds
 * per Gbit carried and RSS, in 3 rounds that alternate which tunnel goes first; medians
 * and the ratio ours/theirs. Then the memory of our four processes, idle and after.
 * One lab per MTU; both tunnels run in it, one measured at a time.
 */
import { createLab, type Lab } from '../demo/lab.ts';
import {
  iperfTcp,
  iperfUdpPacketsPerSecond,
  median,
  memoryCell,
  pingAverageMs,
  totalCpuSeconds,
  totalRssMiB,
} from './net-measure.ts';
import { startPqconnect, startWireguardGo, type Tunnel } from './tunnels.ts';

const ROUNDS = 3;
const TCP_SECONDS = 5;
const UDP_SECONDS = 3;
const IDLE_MS = 10_000;
/** Our largest inner MTU on a 1500-byte link: the pq1 header is 24 bytes longer than WireGuard's. */
const OURS_LARGE_MTU = 1416;

type Samples = Map<string, Map<string, number[]>>;

function record(samples: Samples, metric: string, tunnel: string, value: number): void {
  const row = samples.get(metric) ?? new Map<string, number[]>();
  samples.set(metric, row);
  row.set(tunnel, [...(row.get(tunnel) ?? []), value]);
}

async function measureTcp(lab: Lab, tunnel: Tunnel, samples: Samples, label: string) {
  const pids = await tunnel.pids();
  const before = await totalCpuSeconds(pids);
  const run = await iperfTcp(lab, lab.client, tunnel.target, TCP_SECONDS);
  const cpu = (await totalCpuSeconds(pids)) - before;
  record(samples, `TCP Mbit/s, MTU ${label}`, tunnel.name, run.mbitPerSecond);
  record(samples, `CPU s per Gbit, MTU ${label}`, tunnel.name, cpu / ((run.bytes * 8) / 1e9));
}

async function measureLargeMtu(lab: Lab, tunnel: Tunnel, samples: Samples): Promise<void> {
  await measureTcp(lab, tunnel, samples, '1420 (ours 1416)');
  for (const length of [64, 1200]) {
    const rate = await iperfUdpPacketsPerSecond(
      lab,
      lab.client,
      tunnel.target,
      length,
      UDP_SECONDS,
    );
    record(samples, `UDP packets/s received, ${length} B`, tunnel.name, rate);
  }
}

async function measureDefaultMtu(lab: Lab, tunnel: Tunnel, samples: Samples): Promise<void> {
  record(
    samples,
    'ping RTT avg ms',
    tunnel.name,
    await pingAverageMs(lab, lab.client, tunnel.target),
  );
  await measureTcp(lab, tunnel, samples, '1200');
  record(
    samples,
    'RSS MiB, all its processes',
    tunnel.name,
    await totalRssMiB(await tunnel.pids()),
  );
}

async function ourMemoryRows(tunnel: Tunnel, when: string): Promise<[string, string][]> {
  const [clientRoot, clientWorker, serverRoot, serverWorker] = await tunnel.pids();
  return [
    [`client MiB ${when}: root part`, await memoryCell(clientRoot!)],
    [`client MiB ${when}: worker`, await memoryCell(clientWorker!)],
    [`server MiB ${when}: root part`, await memoryCell(serverRoot!)],
    [`server MiB ${when}: worker`, await memoryCell(serverWorker!)],
  ];
}

/** One lab: both tunnels up, each measured ROUNDS times, alternating which goes first. */
async function runLab(
  ourMtu: number,
  theirMtu: number,
  measure: (lab: Lab, tunnel: Tunnel, samples: Samples) => Promise<void>,
  samples: Samples,
  memory: [string, string][],
): Promise<void> {
  const lab = await createLab('pqb');
  try {
    const ours = await startPqconnect(lab, ourMtu);
    const theirs = await startWireguardGo(lab, theirMtu);
    lab.start(lab.server, 'iperf3', ['-s'], 'iperf');
    for (const tunnel of [ours, theirs])
      await lab.run(lab.client, 'ping', ['-c', '3', '-i', '0.2', tunnel.target], 10_000);
    if (memory.length === 0) {
      await new Promise((r) => setTimeout(r, IDLE_MS));
      memory.push(...(await ourMemoryRows(ours, `idle, one tunnel, after ${IDLE_MS / 1000} s`)));
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
      for (const tunnel of order) await measure(lab, tunnel, samples);
    }
    if (ourMtu === OURS_LARGE_MTU) {
      const direct = await iperfTcp(lab, lab.client, lab.server.address, TCP_SECONDS);
      record(samples, 'TCP Mbit/s direct, no tunnel (MTU 1500)', 'direct', direct.mbitPerSecond);
      memory.push(...(await ourMemoryRows(ours, 'after the runs')));
    }
  } finally {
    await lab.destroy();
  }
}

function formatValue(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return value >= 10 ? value.toFixed(0) : value.toFixed(2);
}

function printTable(samples: Samples): void {
  const columns = ['PQConnect', 'wireguard-go'];
  console.log(
    `\nMedians of ${ROUNDS} rounds, between network namespaces on this machine (ratio = ours / theirs)`,
  );
  console.log(
    `${'metric'.padEnd(42)}${columns.map((c) => c.padStart(14)).join('')}${'ratio'.padStart(9)}   runs`,
  );
  for (const [metric, row] of samples) {
    const [ours, theirs] = columns.map((c) => row.get(c));
    const oursMedian = ours === undefined ? row.get('direct')?.[0] : median(ours);
    const theirsMedian = theirs === undefined ? undefined : median(theirs);
    const ratio =
      oursMedian !== undefined && theirsMedian !== undefined && theirsMedian > 0
        ? `${(oursMedian / theirsMedian).toFixed(2)}×`
        : '';
    const runs = [...(ours ?? []), ...(theirs ?? [])].map(formatValue).join(' ');
    console.log(
      `${metric.padEnd(42)}${formatValue(oursMedian).padStart(14)}${formatValue(theirsMedian).padStart(14)}${ratio.padStart(9)}   ${runs}`,
    );
  }
}

async function main(): Promise<void> {
  const samples: Samples = new Map();
  const memory: [string, string][] = [];
  await runLab(1200, 1200, measureDefaultMtu, samples, memory);
  await runLab(OURS_LARGE_MTU, 1420, measureLargeMtu, samples, memory);
  printTable(samples);
  console.log('\nPQConnect processes, MiB: VmRSS (private anonymous, PSS)');
  for (const [name, value] of memory) console.log(`${name.padEnd(56)} ${value}`);
}

await main();
