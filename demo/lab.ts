/**
 * A small network of Linux network namespaces for the demo and the end-to-end tests:
 * client, server and DNS hosts on one bridge (10.77.0.0/24), each with its own loopback,
 * optionally an attacker host on the same bridge (10.77.0.9), plus helpers to run
 * commands and long-lived processes inside them and to take everything down again.
 * Every lab has names of its own (prefix + a random suffix), so two runs on one host
 * never touch each other's namespaces, and a private 0700 directory (`dir`) for the
 * keys and files its scenario makes; `destroy` removes the namespaces, the processes
 * and that directory. Needs root.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Host {
  namespace: string;
  address: string;
}

export interface Lab {
  /** The lab's own prefix of namespace and interface names (prefix + random suffix). */
  prefix: string;
  /** A private directory for keys and files; removed by `destroy`. */
  dir: string;
  client: Host;
  server: Host;
  dns: Host;
  /** With `bottles`: a machine routed through the client host (10.78.1.2), and one behind
   * the server host (10.78.2.2) for client- and server-in-a-bottle. */
  clientSide?: Host;
  serverSide?: Host;
  /** With `attacker`: a host on the bridge that can spoof any source address. */
  attacker?: Host;
  run(
    host: Host,
    command: string,
    args: string[],
    timeoutMs?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  start(host: Host, command: string, args: string[], name: string): ChildProcess;
  logs(name: string): string;
  destroy(): Promise<void>;
}

function exec(
  command: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function must(command: string, args: string[]): Promise<void> {
  const result = await exec(command, args);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr.trim()}`);
}

export async function createLab(
  base = 'pqd',
  { bottles = false, attacker = false } = {},
): Promise<Lab> {
  const prefix = `${base}${randomBytes(2).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `pqconnect-lab-${prefix}-`));
  const link = `${prefix}-link`;
  const hosts: Record<string, Host> = {
    client: { namespace: `${prefix}-client`, address: '10.77.0.1' },
    server: { namespace: `${prefix}-server`, address: '10.77.0.2' },
    dns: { namespace: `${prefix}-dns`, address: '10.77.0.3' },
  };
  const attackerHost = { namespace: `${prefix}-attacker`, address: '10.77.0.9' };
  if (attacker) hosts.attacker = attackerHost;
  const sides = {
    clientSide: { namespace: `${prefix}-chost`, address: '10.78.1.2' },
    serverSide: { namespace: `${prefix}-shost`, address: '10.78.2.2' },
  };
  const processes: { name: string; child: ChildProcess; output: string[] }[] = [];
  const destroy = async () => {
    for (const { child } of processes.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([
          new Promise((r) => child.once('exit', r)),
          new Promise((r) => setTimeout(r, 5_000)),
        ]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    for (const ns of [
      link,
      ...[...Object.values(hosts), ...Object.values(sides), attackerHost].map((h) => h.namespace),
    ]) {
      await exec('ip', ['netns', 'del', ns]);
      await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await must('ip', ['netns', 'add', link]);
    await must('ip', ['-n', link, 'link', 'add', 'br0', 'type', 'bridge']);
    await must('ip', ['-n', link, 'link', 'set', 'br0', 'up']);
    for (const [index, host] of Object.values(hosts).entries()) {
      await must('ip', ['netns', 'add', host.namespace]);
      await must('ip', ['-n', host.namespace, 'link', 'set', 'lo', 'up']);
      const outside = `veth${index}`;
      await must('ip', [
        'link',
        'add',
        `${prefix}v${index}`,
        'type',
        'veth',
        'peer',
        'name',
        `${prefix}p${index}`,
      ]);
      await must('ip', ['link', 'set', `${prefix}v${index}`, 'netns', host.namespace]);
      await must('ip', ['link', 'set', `${prefix}p${index}`, 'netns', link]);
      await must('ip', ['-n', host.namespace, 'link', 'set', `${prefix}v${index}`, 'name', 'eth0']);
      await must('ip', ['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
      await must('ip', ['-n', host.namespace, 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', link, 'link', 'set', `${prefix}p${index}`, 'name', outside]);
      await must('ip', ['-n', link, 'link', 'set', outside, 'master', 'br0', 'up']);
      await mkdir(`/etc/netns/${host.namespace}`, { recursive: true });
      await writeFile(
        `/etc/netns/${host.namespace}/resolv.conf`,
        `nameserver ${hosts.dns!.address}\n`,
      );
    }
    if (bottles) {
      await attachBehind(prefix, hosts.client!, sides.clientSide, '10.78.1', ['default']);
      await attachBehind(prefix, hosts.server!, sides.serverSide, '10.78.2', ['10.42.0.0/16']);
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    prefix,
    dir,
    client: hosts.client!,
    server: hosts.server!,
    dns: hosts.dns!,
    ...(attacker ? { attacker: attackerHost } : {}),
    ...(bottles ? sides : {}),
    run: (host, command, args, timeoutMs) =>
      exec('ip', ['netns', 'exec', host.namespace, command, ...args], timeoutMs),
    start: (host, command, args, name) => {
      const child = spawn('ip', ['netns', 'exec', host.namespace, command, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output: string[] = [];
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      processes.push({ name, child, output });
      return child;
    },
    logs: (name) =>
      processes
        .filter((p) => p.name === name)
        .flatMap((p) => p.output)
        .join(''),
    destroy,
  };
}

/** Connects `side` to `router` over a veth pair (router .1, side .2 in `subnet`.0/24), routes
 * `routes` of `side` through the router, and lets the router forward. */
async function attachBehind(
  prefix: string,
  router: Host,
  side: Host,
  subnet: string,
  routes: string[],
): Promise<void> {
  const inside = `${prefix}${subnet.endsWith('1') ? 'c' : 's'}b`;
  await must('ip', ['netns', 'add', side.namespace]);
  await must('ip', ['-n', side.namespace, 'link', 'set', 'lo', 'up']);
  await must('ip', ['link', 'add', `${inside}0`, 'type', 'veth', 'peer', 'name', `${inside}1`]);
  await must('ip', ['link', 'set', `${inside}0`, 'netns', router.namespace]);
  await must('ip', ['link', 'set', `${inside}1`, 'netns', side.namespace]);
  await must('ip', ['-n', router.namespace, 'link', 'set', `${inside}0`, 'name', 'side0']);
  await must('ip', ['-n', router.namespace, 'addr', 'add', `${subnet}.1/24`, 'dev', 'side0']);
  await must('ip', ['-n', router.namespace, 'link', 'set', 'side0', 'up']);
  await must('ip', ['-n', side.namespace, 'link', 'set', `${inside}1`, 'name', 'eth0']);
  await must('ip', ['-n', side.namespace, 'addr', 'add', `${side.address}/24`, 'dev', 'eth0']);
  await must('ip', ['-n', side.namespace, 'link', 'set', 'eth0', 'up']);
  for (const route of routes)
    await must('ip', ['-n', side.namespace, 'route', 'add', route, 'via', `${subnet}.1`]);
  await must('ip', ['netns', 'exec', router.namespace, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await mkdir(`/etc/netns/${side.namespace}`, { recursive: true });
  await writeFile(`/etc/netns/${side.namespace}/resolv.conf`, 'nameserver 10.77.0.3\n');
}

/** Waits until `check` resolves true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
