/**
 * What bench:daemon measures between two namespaces, whichever tunnel carries it: iperf3
 * TCP throughput and UDP packets/s, ping RTT, and the CPU time and memory of the
 * processes that make the tunnel (read from /proc).
 */
import { readFile } from 'node:fs/promises';
import type { Host, Lab } from '../demo/lab.ts';

export interface TcpRun {
  mbitPerSecond: number;
  bytes: number;
}

export async function iperfTcp(lab: Lab, from: Host, target: string, seconds = 5): Promise<TcpRun> {
  const result = await lab.run(from, 'iperf3', ['-c', target, '-t', String(seconds), '-J'], 60_000);
  if (result.code !== 0) throw new Error(`iperf3 TCP to ${target}: ${result.stdout.slice(0, 300)}`);
  const json = JSON.parse(result.stdout) as {
    end: { sum_received: { bits_per_second: number; bytes: number } };
  };
  return {
    mbitPerSecond: json.end.sum_received.bits_per_second / 1e6,
    bytes: json.end.sum_received.bytes,
  };
}

/** Datagrams of `length` bytes sent as fast as iperf3 can; what arrives, per second. */
export async function iperfUdpPacketsPerSecond(
  lab: Lab,
  from: Host,
  target: string,
  length: number,
  seconds = 5,
): Promise<number> {
  const result = await lab.run(
    from,
    'iperf3',
    ['-c', target, '-u', '-b', '0', '-l', String(length), '-t', String(seconds), '-J'],
    60_000,
  );
  if (result.code !== 0) throw new Error(`iperf3 UDP to ${target}: ${result.stdout.slice(0, 300)}`);
  const json = JSON.parse(result.stdout) as {
    end: { sum: { packets: number; lost_packets: number; seconds: number } };
  };
  const { packets, lost_packets: lost, seconds: elapsed } = json.end.sum;
  return (packets - lost) / elapsed;
}

/** Average RTT in ms of 50 pings 20 ms apart. */
export async function pingAverageMs(lab: Lab, from: Host, target: string): Promise<number> {
  return pingAverage((args) => lab.run(from, 'ping', args, 30_000), target);
}

/** Average RTT in ms of `count` pings 20 ms apart, ping run by `ping`. */
export async function pingAverage(
  ping: (args: string[]) => Promise<{ stdout: string; stderr: string }>,
  target: string,
  count = 50,
): Promise<number> {
  const result = await ping(['-c', String(count), '-i', '0.02', '-q', target]);
  const average = /rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//.exec(result.stdout)?.[1];
  if (average === undefined) throw new Error(`ping ${target}: ${result.stdout}${result.stderr}`);
  return Number(average);
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used (its threads included). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export async function totalCpuSeconds(pids: number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) total += await cpuSeconds(pid);
  return total;
}

/** VmRSS in MiB, summed over the processes. */
export async function totalRssMiB(pids: number[]): Promise<number> {
  let kib = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return kib / 1024;
}

/** VmRSS, its private anonymous part and PSS of one process, in MiB, as one cell. */
export async function memoryCell(pid: number): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (text: string, field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  const mib = (k: number) => (k / 1024).toFixed(0);
  return `${mib(kib(status, 'VmRSS'))} (anon ${mib(kib(status, 'RssAnon'))}, PSS ${mib(kib(rollup, 'Pss'))})`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
