/**
 * A PQConnect server farm in network namespaces, spread the way large UDP services are:
 * a router namespace and `instances` server namespaces, each instance with the service
 * address 10.90.0.1 on its loopback, announced by bird2 over BGP (hold time 3 s) to the
 * router's bird2 (docs/farm/bird-instance.conf and bird-router.conf, the documented
 * examples, run as they are), which installs one ECMP route with a path per healthy instance; the
 * kernel hashes each packet's source and destination addresses (fib_multipath_hash_policy
 * 0) to pick the path, so all of a client's packets — key requests and tunnel alike —
 * reach one instance. Clients live in one namespace behind the router (10.81.0.10 and
 * up), DNS (dnsmasq on the router, 10.81.0.1) announces www.farm.test → pq1 name → the
 * service address, and every instance runs pqconnect-server on the same long-term keys
 * (bound to the service address) with a health loop (docs/farm/farm-health.sh) that
 * withdraws its route when `pqconnect-server-check --local` fails. Needs root and bird2.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_CRYPTO_PORT } from '../src/protocol/constants.ts';
import { waitFor } from './lab.ts';
import { BIN, LAB_DAEMON_ARGS } from './scenario.ts';

export const SERVICE_ADDRESS = '10.90.0.1';
export const ROUTER_CLIENT_SIDE = '10.81.0.1';
export const FIRST_CLIENT = 10;
export const SERVICE_NAME = 'www.farm.test';
const DOCS = join(import.meta.dirname, '..', 'docs', 'farm');
const HEALTH_SCRIPT = join(DOCS, 'farm-health.sh');
/** The documented router configuration names three instances. */
export const MAX_INSTANCES = 3;

export interface Instance {
  index: number;
  namespace: string;
  /** Its address on the link to the router. */
  address: string;
  routerSide: string;
  /** The TTL its kernel gives the packets it sends (61 + index), so a client can tell
   * from an echo reply which instance answered. */
  ttl: number;
  runDir: string;
  birdSocket: string;
}

export interface Farm {
  prefix: string;
  dir: string;
  router: string;
  clients: string;
  instances: Instance[];
  keyDir: string;
  pq1Name: string;
  /** The clients' addresses (10.81.0.10 and up). */
  clientAddresses: string[];
  run(
    namespace: string,
    command: string,
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  start(namespace: string, command: string, args: string[], name: string): ChildProcess;
  logs(name: string): string;
  /** Starts (or restarts) pqconnect-server and the health loop of an instance. */
  startInstance(instance: Instance): Promise<void>;
  /** SIGKILLs an instance's pqconnect-server (its bird and health loop stay). */
  killServer(instance: Instance): Promise<void>;
  /** The whole instance dies: every process in it is SIGKILLed, its link goes down. */
  killMachine(instance: Instance): Promise<void>;
  /** Brings a dead instance back: link up, bird, server and health loop. */
  reviveMachine(instance: Instance): Promise<void>;
  /** Makes an instance alive but unhealthy (nftables drops its crypto port), or undoes it. */
  dropCryptoPort(instance: Instance, drop: boolean): Promise<void>;
  /** `pqconnect-server status --json` of an instance. */
  status(instance: Instance): Promise<ServerStatus>;
  /** Which instances the router's route to the service address goes through now. */
  paths(): Promise<number[]>;
  destroy(): Promise<void>;
}

export interface ServerStatus {
  instance?: string;
  counters?: Record<string, number>;
  sessions?: { peer: string; state: unknown }[];
}

const exec = promisify(execFile);

async function run(
  namespace: string,
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('ip', ['netns', 'exec', namespace, command, ...args], {
      timeout: 60_000,
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

async function must(command: string, args: string[]): Promise<void> {
  await exec(command, args, { timeout: 30_000 }).catch((error: { stderr?: string }) => {
    throw new Error(`${command} ${args.join(' ')}: ${error.stderr?.trim()}`);
  });
}

async function sysctl(namespace: string, setting: string): Promise<void> {
  await must('ip', ['netns', 'exec', namespace, 'sysctl', '-qw', setting]);
}

/** Many `ip` commands in one namespace at once (ip -batch). */
async function batch(namespace: string, commands: string[]): Promise<void> {
  const file = join(tmpdir(), `pqconnect-ip-batch-${randomBytes(4).toString('hex')}`);
  await writeFile(file, `${commands.join('\n')}\n`);
  try {
    await must('ip', ['-n', namespace, '-batch', file]);
  } finally {
    await rm(file, { force: true });
  }
}

/** The documented instance configuration with this instance's two addresses. */
async function instanceBird(instance: Instance): Promise<string> {
  const example = await readFile(join(DOCS, 'bird-instance.conf'), 'utf8');
  return example
    .replace(/^define SELF = .*$/m, `define SELF = ${instance.address};`)
    .replace(/^define UPLINK = .*$/m, `define UPLINK = ${instance.routerSide};`);
}

export async function createFarm(
  options: { instances?: number; clients?: number } = {},
): Promise<Farm> {
  const count = options.instances ?? MAX_INSTANCES;
  if (count < 1 || count > MAX_INSTANCES) throw new Error(`instances: 1..${MAX_INSTANCES}`);
  const clientCount = options.clients ?? 20;
  const prefix = `pqf${randomBytes(2).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `pqconnect-farm-${prefix}-`));
  const router = `${prefix}-router`;
  const clients = `${prefix}-clients`;
  const clientAddresses = Array.from(
    { length: clientCount },
    (_, i) => `10.81.${(FIRST_CLIENT + i) >> 8}.${(FIRST_CLIENT + i) & 0xff}`,
  );
  const instances: Instance[] = Array.from({ length: count }, (_, k) => {
    const index = k + 1;
    return {
      index,
      namespace: `${prefix}-i${index}`,
      address: `10.80.${index}.2`,
      routerSide: `10.80.${index}.1`,
      ttl: 61 + index,
      runDir: join(dir, `run-i${index}`),
      birdSocket: join(dir, `bird-i${index}.ctl`),
    };
  });
  const processes: { name: string; child: ChildProcess; output: string[] }[] = [];
  const start = (namespace: string, command: string, args: string[], name: string) => {
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    processes.push({ name, child, output });
    return child;
  };
  const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  const stop = async (child: ChildProcess, signal: NodeJS.Signals) => {
    if (!running(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (running(child)) child.kill('SIGKILL');
  };
  // bird runs as a daemon of its own: end every process left in the namespace.
  const killAll = async (namespace: string) => {
    const left = await exec('ip', ['netns', 'pids', namespace]).catch(() => ({ stdout: '' }));
    for (const pid of left.stdout.split(/\s+/).filter(Boolean))
      await exec('kill', ['-9', pid]).catch(() => {});
  };
  const destroy = async () => {
    for (const { child } of [...processes].reverse()) await stop(child, 'SIGTERM');
    for (const ns of [router, clients, ...instances.map((i) => i.namespace)]) {
      await killAll(ns);
      await exec('ip', ['netns', 'del', ns]).catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  };
  const startBird = async (instance: Instance) => {
    const config = join(dir, `bird-i${instance.index}.conf`);
    await writeFile(config, await instanceBird(instance));
    await must('ip', [
      ...['netns', 'exec', instance.namespace, 'bird', '-c', config],
      ...['-s', instance.birdSocket, '-P', join(dir, `bird-i${instance.index}.pid`)],
    ]);
  };
  const keyDir = join(dir, 'keys');
  let pq1Name = '';
  try {
    for (const ns of [router, clients, ...instances.map((i) => i.namespace)]) {
      await must('ip', ['netns', 'add', ns]);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await sysctl(router, 'net.ipv4.ip_forward=1');
    await sysctl(router, 'net.ipv4.fib_multipath_hash_policy=0');
    await sysctl(router, 'net.ipv4.conf.all.ignore_routes_with_linkdown=1');
    await must('ip', ['link', 'add', `${prefix}c0`, 'type', 'veth', 'peer', 'name', `${prefix}c1`]);
    await must('ip', ['link', 'set', `${prefix}c0`, 'netns', router, 'name', 'clients']);
    await must('ip', ['link', 'set', `${prefix}c1`, 'netns', clients, 'name', 'eth0']);
    await must('ip', ['-n', router, 'addr', 'add', `${ROUTER_CLIENT_SIDE}/16`, 'dev', 'clients']);
    await must('ip', ['-n', router, 'link', 'set', 'clients', 'up']);
    await batch(
      clients,
      clientAddresses.map((address) => `addr add ${address}/16 dev eth0`),
    );
    await must('ip', ['-n', clients, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', clients, 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE]);
    for (const instance of instances) {
      const [outside, inside] = [`${prefix}r${instance.index}`, `${prefix}s${instance.index}`];
      const link = `i${instance.index}`;
      await must('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      await must('ip', ['link', 'set', outside, 'netns', router, 'name', link]);
      await must('ip', ['link', 'set', inside, 'netns', instance.namespace, 'name', 'eth0']);
      await batch(router, [
        `addr add ${instance.routerSide}/24 dev ${link}`,
        `link set ${link} up`,
      ]);
      await batch(instance.namespace, [
        `addr add ${instance.address}/24 dev eth0`,
        `addr add ${SERVICE_ADDRESS}/32 dev lo`,
        'link set eth0 up',
        `route add default via ${instance.routerSide}`,
      ]);
      await sysctl(instance.namespace, `net.ipv4.ip_default_ttl=${instance.ttl}`);
      await startBird(instance);
    }
    const routerConfig = join(DOCS, 'bird-router.conf');
    await must('ip', [
      ...['netns', 'exec', router, 'bird', '-c', routerConfig],
      ...['-s', join(dir, 'bird-router.ctl'), '-P', join(dir, 'bird-router.pid')],
    ]);
    // One set of long-term keys for every instance (0600 files, 0700 directory).
    const keygen = await run(router, BIN('pqconnect-keygen'), [
      ...['--keydir', keyDir, '--name', SERVICE_NAME, '--address', SERVICE_ADDRESS],
    ]);
    if (keygen.code !== 0) throw new Error(`pqconnect-keygen: ${keygen.stderr}`);
    const label = /pq1 label: (\S+)/.exec(keygen.stdout)?.[1];
    if (label === undefined) throw new Error(`no pq1 label: ${keygen.stdout}`);
    pq1Name = `${label}.farm.test`;
    start(
      router,
      'dnsmasq',
      [
        ...['--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces', '--user=root'],
        `--listen-address=${ROUTER_CLIENT_SIDE}`,
        `--host-record=${pq1Name},${SERVICE_ADDRESS}`,
        `--cname=${SERVICE_NAME},${pq1Name}`,
      ],
      'dnsmasq',
    );
  } catch (error) {
    await destroy();
    throw error;
  }
  const servers = new Map<number, ChildProcess>();
  const paths = async () => {
    const route = await run(router, 'ip', ['-4', 'route', 'show', `${SERVICE_ADDRESS}/32`]);
    return instances.filter((i) => route.stdout.includes(`via ${i.address} `)).map((i) => i.index);
  };
  const farm: Farm = {
    prefix,
    dir,
    router,
    clients,
    instances,
    keyDir,
    pq1Name,
    clientAddresses,
    run,
    start,
    logs: (name) =>
      processes
        .filter((p) => p.name === name)
        .flatMap((p) => p.output)
        .join(''),
    startInstance: async (instance) => {
      const name = `server-i${instance.index}`;
      const before = farm.logs(name).split('server up').length;
      servers.set(
        instance.index,
        start(
          instance.namespace,
          BIN('pqconnect-server'),
          [
            ...[
              '--keydir',
              keyDir,
              '--listen',
              SERVICE_ADDRESS,
              '--instance',
              `i${instance.index}`,
            ],
            ...['--run-dir', instance.runDir, ...LAB_DAEMON_ARGS],
          ],
          name,
        ),
      );
      await waitFor(
        `${name} up`,
        async () => farm.logs(name).split('server up').length > before,
        30_000,
      );
      const health = `health-i${instance.index}`;
      if (!processes.some((p) => p.name === health && running(p.child)))
        start(
          instance.namespace,
          'bash',
          [HEALTH_SCRIPT, SERVICE_ADDRESS, keyDir, instance.birdSocket],
          health,
        );
    },
    killServer: async (instance) => {
      const child = servers.get(instance.index);
      if (child) await stop(child, 'SIGKILL');
    },
    killMachine: async (instance) => {
      await killAll(instance.namespace);
      await must('ip', ['-n', instance.namespace, 'link', 'set', 'eth0', 'down']);
    },
    reviveMachine: async (instance) => {
      // A link going down takes its routes with it.
      await batch(instance.namespace, [
        'link set eth0 up',
        `route replace default via ${instance.routerSide}`,
      ]);
      await startBird(instance);
      await farm.startInstance(instance);
    },
    dropCryptoPort: async (instance, drop) => {
      const file = join(dir, `fault-i${instance.index}.nft`);
      await writeFile(
        file,
        drop
          ? `table inet farmfault {
  chain input {
    type filter hook input priority -10; policy accept;
    udp dport ${DEFAULT_CRYPTO_PORT} drop
  }
}
`
          : 'delete table inet farmfault\n',
      );
      const result = await run(instance.namespace, 'nft', ['-f', file]);
      if (result.code !== 0) throw new Error(`nft on i${instance.index}: ${result.stderr}`);
    },
    status: async (instance) => {
      const result = await run(instance.namespace, BIN('pqconnect-server'), [
        ...['status', '--json', '--run-dir', instance.runDir],
      ]);
      if (result.code !== 0)
        throw new Error(
          `status of i${instance.index}: ${result.stdout.slice(0, 300)}${result.stderr}`,
        );
      return JSON.parse(result.stdout) as ServerStatus;
    },
    paths,
    destroy,
  };
  return farm;
}
