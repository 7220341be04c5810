/**
 * The deployed PQConnect (Debian's `pqconnect` package) for the interoperability tests:
 * its cached trixie root (scripts/setup-interop.sh builds it once) and a way to run its
 * commands in one of the lab's network namespaces — chroot in private mount and PID
 * namespaces with /dev, /proc, a fresh /run and /tmp, the namespace's resolv.conf and the
 * test's directories bind-mounted. Everything vanishes with the process: stopping the
 * `unshare` process it starts kills every process of the deployed daemon (SIGKILL, as a
 * crash would; its Python processes would otherwise outlive their parent).
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Lab, waitFor } from '../../demo/lab.ts';

export const DEPLOYED_ROOT =
  process.env.PQCONNECT_INTEROP_ROOT ?? '/var/cache/pqconnect-interop/trixie';
const SETUP = fileURLToPath(new URL('../../scripts/setup-interop.sh', import.meta.url));

/** Builds the root if it is not cached yet; returns the installed version line. */
export async function ensureDeployedRoot(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SETUP], {
    env: { ...process.env, PQCONNECT_INTEROP_ROOT: DEPLOYED_ROOT },
    timeout: 15 * 60_000,
  });
  return stdout.trim();
}

/** A host directory seen inside the root at `inside` (an absolute path). */
export interface Bind {
  host: string;
  inside: string;
}

const ENTER = [
  'set -e',
  'root=$1; shift',
  'binds=$1; shift',
  'mount --rbind /dev "$root/dev"',
  'mount -t proc proc "$root/proc"',
  'mount -t tmpfs tmpfs "$root/run"',
  'mount -t tmpfs tmpfs "$root/tmp"',
  'mount --bind /etc/resolv.conf "$root/etc/resolv.conf"',
  'while [ "$binds" -gt 0 ]; do',
  '  mkdir -p "$root$2"; mount --bind "$1" "$root$2"; shift 2; binds=$((binds - 1))',
  'done',
  'exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"',
].join('\n');

/** `command` and `args` that run `argv` inside the deployed root (for lab.run / lab.start). */
export function inDeployedRoot(
  argv: string[],
  binds: Bind[] = [],
): { command: string; args: string[] } {
  return {
    command: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      '--pid',
      '--fork',
      '--kill-child=SIGKILL',
      'sh',
      '-c',
      ENTER,
      'enter',
      DEPLOYED_ROOT,
      String(binds.length),
      ...binds.flatMap((b) => [b.host, b.inside]),
      ...argv,
    ],
  };
}

/** Where the tests' key and config directories appear inside the root. */
export const SRV = '/srv/pqconnect';

/**
 * Keys made by the deployed `pqconnect-keygen` (ports 42424/42425, written to its config
 * directory first, so it asks nothing) in `dir`/keys; returns the pq1 label it prints.
 */
export async function deployedKeygen(lab: Lab, dir: string): Promise<string> {
  await mkdir(join(dir, 'config'), { recursive: true });
  await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'config', 'pqcport'), '42424');
  await writeFile(join(dir, 'config', 'keyport'), '42425');
  const keygen = inDeployedRoot(
    ['pqconnect-keygen', '-c', `${SRV}/config`, '-d', `${SRV}/keys`],
    [{ host: dir, inside: SRV }],
  );
  const result = await lab.run(lab.server, keygen.command, keygen.args, 60_000);
  const label = /CNAME\s+SUBDOMAIN\s+(pq1[0-9a-z]+)\.DOMAIN\.TLD/.exec(
    result.stdout + result.stderr,
  )?.[1];
  if (result.code !== 0 || label === undefined)
    throw new Error(`deployed pqconnect-keygen failed: ${result.stdout}\n${result.stderr}`);
  return label;
}

/** The deployed `pqconnect-server` on the key directory `keyDir` (a host path), ready. */
export async function startDeployedServer(
  lab: Lab,
  keyDir: string,
  name = 'deployed-server',
): Promise<ChildProcess> {
  const server = inDeployedRoot(
    ['pqconnect-server', '-d', `${SRV}/keys`, '-v'],
    [{ host: keyDir, inside: `${SRV}/keys` }],
  );
  const before = lab.logs(name).length;
  const child = lab.start(lab.server, server.command, server.args, name);
  await waitFor(
    'the deployed server',
    async () => lab.logs(name).slice(before).includes('Done generating ephemeral keypairs'),
    30_000,
  );
  return child;
}

/**
 * Stops a process started with `inDeployedRoot` and waits for it: SIGKILL to `unshare`
 * (which ignores SIGTERM while it waits), whose death kills the whole PID namespace.
 */
export async function stopDeployed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Milliseconds from `start` until `check` holds (polled every 20 ms, at most `limitMs`). */
export async function msUntil(
  start: number,
  check: () => boolean | Promise<boolean>,
  limitMs = 60_000,
): Promise<number> {
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}
