/**
 * The client daemon in the lab's client namespace as the e2e tests inspect it:
 * `pqconnect status --json` (default or given run directory), and what a stopped daemon
 * may have left behind (rules, nftables table, TUN device, worker processes).
 */

import type { Lab } from '../../demo/lab.ts';
import { BIN } from '../../demo/scenario.ts';

export interface ClientStatus {
  pid: number;
  version: string;
  uptimeSeconds: number;
  workerPid: number;
  sessions: {
    state: unknown;
    name: string;
    realAddress: string;
    sendEpoch: number | null;
    receiveEpoch: number | null;
    lastHandshakeMs: number | null;
  }[];
  counters: Record<string, number>;
  refusedByRoot?: Record<string, number>;
}

export async function clientStatus(lab: Lab, runDir?: string): Promise<ClientStatus> {
  const result = await lab.run(lab.client, BIN('pqconnect'), [
    'status',
    '--json',
    ...(runDir === undefined ? [] : ['--run-dir', runDir]),
  ]);
  return JSON.parse(result.stdout);
}

/** Everything a client daemon installs that is still there (empty when it cleaned up). */
export async function leftovers(lab: Lab, workerPattern = 'dist/cli/worker.js'): Promise<string[]> {
  const found: string[] = [];
  const iptables = await lab.run(lab.client, 'iptables-save', []);
  const nat = await lab.run(lab.client, 'iptables-save', ['-t', 'nat']);
  if (/PQCONNECT/.test(iptables.stdout + nat.stdout)) found.push('iptables chains');
  const nft = await lab.run(lab.client, 'nft', ['list', 'tables']);
  if (/pqconnect/.test(nft.stdout)) found.push('nftables table');
  if ((await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0'])).code === 0)
    found.push('TUN device');
  const workers = await lab.run(lab.client, 'pgrep', ['-f', workerPattern]);
  if (workers.code === 0) found.push(`worker processes ${workers.stdout.trim()}`);
  return found;
}
