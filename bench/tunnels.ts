/**
 * The two tunnels bench:daemon compares, set up between the same client and server
 * namespaces of one lab: our daemons (DNS through dnsmasq, target = the internal address
 * the client hands out for www.demo.test) and wireguard-go (10.99.0.1 ↔ 10.99.0.2 over
 * the same bridge, keys made here, configured with `wg`).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Lab, waitFor } from '../demo/lab.ts';
import {
  BIN,
  createServerKeys,
  startClientDaemon,
  startDns,
  startServerDaemon,
} from '../demo/scenario.ts';

export interface Tunnel {
  name: string;
  /** The address the client host sends to, to reach the server host through the tunnel. */
  target: string;
  /** The MTU of its tunnel devices. */
  mtu: number;
  /** The processes that carry the tunnel on both hosts (for CPU and memory). */
  pids(): Promise<number[]>;
}

async function daemonPids(lab: Lab, role: 'client' | 'server'): Promise<number[]> {
  const host = role === 'client' ? lab.client : lab.server;
  const tool = BIN(role === 'client' ? 'pqconnect' : 'pqconnect-server');
  const status = JSON.parse((await lab.run(host, tool, ['status', '--json'])).stdout) as {
    pid: number;
    workerPid: number;
  };
  return [status.pid, status.workerPid];
}

export async function startPqconnect(lab: Lab, mtu: number): Promise<Tunnel> {
  const scenario = await createServerKeys(lab);
  await startDns(lab, scenario);
  await startServerDaemon(lab, scenario, ['--mtu', String(mtu)]);
  await startClientDaemon(lab, ['--mtu', String(mtu)]);
  const resolved = await lab.run(lab.client, 'getent', ['hosts', 'www.demo.test']);
  const target = resolved.stdout.split(/\s+/)[0] ?? '';
  if (!target.startsWith('10.43.')) throw new Error(`www.demo.test resolved to ${target}`);
  return {
    name: 'PQConnect',
    target,
    mtu,
    pids: async () => [...(await daemonPids(lab, 'client')), ...(await daemonPids(lab, 'server'))],
  };
}

/** A WireGuard key pair as `wg` spells keys (standard base64 of the raw 32 bytes). */
function wireguardKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const raw = (jwk: { d?: string; x?: string }, field: 'd' | 'x') =>
    Buffer.from(jwk[field]!, 'base64url').toString('base64');
  return {
    privateKey: raw(privateKey.export({ format: 'jwk' }), 'd'),
    publicKey: raw(publicKey.export({ format: 'jwk' }), 'x'),
  };
}

const WG_PORT = 51820;

export async function startWireguardGo(lab: Lab, mtu: number): Promise<Tunnel> {
  const ends = [
    { host: lab.client, device: `${lab.prefix}wc`, inner: '10.99.0.1', keys: wireguardKeys() },
    { host: lab.server, device: `${lab.prefix}ws`, inner: '10.99.0.2', keys: wireguardKeys() },
  ] as const;
  const pids: number[] = [];
  for (const [index, end] of ends.entries()) {
    const peer = ends[1 - index]!;
    const child = lab.start(end.host, 'wireguard-go', ['-f', end.device], `wireguard-go ${index}`);
    pids.push(child.pid!);
    await waitFor(
      `wireguard-go device ${end.device}`,
      async () => (await lab.run(end.host, 'ip', ['link', 'show', end.device])).code === 0,
    );
    const keyFile = join(lab.dir, `${end.device}.key`);
    await writeFile(keyFile, `${end.keys.privateKey}\n`, { mode: 0o600 });
    const steps: string[][] = [
      ['ip', 'addr', 'add', `${end.inner}/24`, 'dev', end.device],
      ['ip', 'link', 'set', 'dev', end.device, 'mtu', String(mtu), 'up'],
      [
        'wg',
        'set',
        end.device,
        'private-key',
        keyFile,
        'listen-port',
        String(WG_PORT),
        'peer',
        peer.keys.publicKey,
        'allowed-ips',
        `${peer.inner}/32`,
        'endpoint',
        `${peer.host.address}:${WG_PORT}`,
      ],
    ];
    for (const [command, ...args] of steps) {
      const result = await lab.run(end.host, command!, args);
      if (result.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
    }
  }
  return { name: 'wireguard-go', target: '10.99.0.2', mtu, pids: async () => pids };
}
