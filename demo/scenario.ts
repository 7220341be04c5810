/**
 * The PQConnect scenario shared by the demo and the end-to-end tests: server keys, a DNS
 * server (dnsmasq) announcing www.demo.test through a pq1 CNAME and plain.demo.test
 * without one, a web server, and the server and client daemons — each in its namespace.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lab, waitFor } from './lab.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = (tool: string) => join(ROOT, 'bin', tool);
/** Options every daemon started here gets first (the test command runs the namespace
 * suites a second time with PQCONNECT_LAB_DAEMON_ARGS="--offload off"). */
export const LAB_DAEMON_ARGS = (process.env.PQCONNECT_LAB_DAEMON_ARGS ?? '')
  .split(/\s+/)
  .filter(Boolean);

export interface Scenario {
  keyDir: string;
  pq1Label: string;
  pq1Name: string;
}

export async function createServerKeys(
  lab: Lab,
  options: { port?: number; keyPort?: number; keygen?: string } = {},
): Promise<Scenario> {
  const keyDir = join(await mkdtemp(join(lab.dir, 'server-')), 'keys');
  const args = ['--keydir', keyDir, '--name', 'www.demo.test', '--address', lab.server.address];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.keyPort !== undefined) args.push('--keyport', String(options.keyPort));
  const keygen = options.keygen ?? BIN('pqconnect-keygen');
  const result = await lab.run(lab.server, keygen, args, 60_000);
  if (result.code !== 0) throw new Error(`pqconnect-keygen failed: ${result.stderr}`);
  const label = /pq1 label: (\S+)/.exec(result.stdout)?.[1];
  if (label === undefined) throw new Error(`no pq1 label in keygen output: ${result.stdout}`);
  return { keyDir, pq1Label: label, pq1Name: `${label}.demo.test` };
}

/** dnsmasq on the DNS host with the scenario's records and `extraRecords` (dnsmasq options). */
export async function startDns(
  lab: Lab,
  scenario: Scenario,
  extraRecords: string[] = [],
): Promise<void> {
  lab.start(
    lab.dns,
    'dnsmasq',
    [
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${lab.dns.address}`,
      '--user=root',
      `--host-record=${scenario.pq1Name},${lab.server.address}`,
      `--cname=www.demo.test,${scenario.pq1Name}`,
      `--host-record=plain.demo.test,${lab.server.address}`,
      ...extraRecords,
      '--log-queries',
    ],
    'dnsmasq',
  );
  await waitFor(
    'dnsmasq',
    async () => (await lab.run(lab.client, 'getent', ['hosts', 'plain.demo.test'])).code === 0,
  );
}

export async function startWebServer(lab: Lab, host = lab.server): Promise<void> {
  const root = await mkdtemp(join(lab.dir, 'web-'));
  await writeFile(join(root, 'index.html'), 'hello from the PQConnect demo server\n');
  lab.start(
    host,
    'python3',
    ['-m', 'http.server', '80', '--bind', '0.0.0.0', '--directory', root],
    'web',
  );
  await waitFor('web server', async () => {
    const probe = await lab.run(host, 'curl', ['-s', '-o', '/dev/null', 'http://127.0.0.1/']);
    return probe.code === 0;
  });
}

/** Waits until `text` appears once more in the logs of process `name` than it did before. */
function waitForAnotherLine(lab: Lab, name: string, text: string): Promise<void> {
  const count = () => lab.logs(name).split(text).length;
  const before = count();
  return waitFor(`${name}: ${text}`, async () => count() > before, 30_000);
}

/** `command` runs the daemon: this checkout's bin/ unless given (e.g. an installed one under setpriv). */
export async function startServerDaemon(
  lab: Lab,
  scenario: Scenario,
  extra: string[] = [],
  command: string[] = [BIN('pqconnect-server')],
): Promise<void> {
  const ready = waitForAnotherLine(lab, 'server', 'server engine on');
  const [program, ...prefix] = command;
  lab.start(
    lab.server,
    program!,
    [...prefix, '--keydir', scenario.keyDir, ...LAB_DAEMON_ARGS, ...extra],
    'server',
  );
  await ready;
}

export async function startClientDaemon(
  lab: Lab,
  extra: string[] = [],
  command: string[] = [BIN('pqconnect')],
): Promise<void> {
  const ready = waitForAnotherLine(lab, 'client', 'client up');
  const [program, ...prefix] = command;
  lab.start(lab.client, program!, [...prefix, '--verbose', ...LAB_DAEMON_ARGS, ...extra], 'client');
  await ready;
}
