/**
 * Interoperability, the deployed PQConnect client (Debian's package, from its trixie
 * root, in the lab's client namespace) → our `pqconnect-server`, once with keys from our
 * keygen and once with keys from the deployed keygen (mixed key directories): curl and
 * ping by name, a reconnect (the deployed client restarted: new key download and
 * handshake), and a 70 s soak across epoch ratchets. The deployed client queues DNS
 * answers with the nftables `queue` statement; on kernels without it (these machines')
 * it runs with only that step replaced by an iptables NFQUEUE rule
 * (deployed-client-iptables.py). The mode that ran, the deployed version and the
 * timings (static-key download, ephemeral keys, handshake sent, first reply, RTT) are
 * printed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  BIN,
  createServerKeys,
  type Scenario,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../../demo/scenario.ts';
import {
  deployedKeygen,
  ensureDeployedRoot,
  inDeployedRoot,
  msUntil,
  stopDeployed,
} from '../support/deployed.ts';
import { curlDemoPage, shortPing, soakPing } from '../support/traffic.ts';

const ROOT = process.getuid?.() === 0;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const say = (text: string) => process.stdout.write(`# ${text}\n`);

/** Whether nft accepts a `queue` rule in the client namespace (the deployed client needs it). */
async function nftQueueWorks(lab: Lab): Promise<boolean> {
  const probe = `import { nftQueueSupported } from '${fileURLToPath(new URL('../../src/io/firewall.ts', import.meta.url))}'; process.exit((await nftQueueSupported()) ? 0 : 1);`;
  const result = await lab.run(lab.client, process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    probe,
  ]);
  return result.code === 0;
}

interface DeployedClient {
  child: ChildProcess;
  mode: string;
}

async function startDeployedClient(lab: Lab, name: string): Promise<DeployedClient> {
  const viaNft = await nftQueueWorks(lab);
  const argv = viaNft
    ? ['pqconnect', '-v']
    : ['python3', '/srv/pqconnect-test/deployed-client-iptables.py', '-v'];
  const client = inDeployedRoot(argv, [{ host: HERE, inside: '/srv/pqconnect-test' }]);
  const before = lab.logs(name).length;
  const child = lab.start(lab.client, client.command, client.args, name);
  // Ready: listening, its TUN device up, and its DNS proxy (a process of its own) bound
  // to its netfilter queue — before that, DNS answers would wait in a queue nobody reads.
  await waitFor(
    'the deployed client',
    async () =>
      lab.logs(name).slice(before).includes('Listening on port') &&
      (await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0'])).code === 0 &&
      (await boundQueues(lab)).length > 0,
    30_000,
  );
  return {
    child,
    mode: viaNft
      ? 'the deployed pqconnect daemon, unchanged (nft queue)'
      : 'the deployed client code with DNS queued by iptables (this kernel lacks nft queue)',
  };
}

/** The netfilter queues a process in the client namespace is bound to (the DNS queue). */
async function boundQueues(lab: Lab): Promise<number[]> {
  const listing = await lab.run(lab.client, 'cat', ['/proc/net/netfilter/nfnetlink_queue']);
  return listing.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((field) => /^\d+$/.test(field))
    .map(Number);
}

/** Our server's sessions, from `pqconnect-server status --json` in the server namespace. */
async function serverSessions(
  lab: Lab,
): Promise<{ sendEpoch: number | null; receiveEpoch: number | null }[]> {
  const result = await lab.run(lab.server, BIN('pqconnect-server'), ['status', '--json']);
  return (JSON.parse(result.stdout) as { sessions: { sendEpoch: number; receiveEpoch: number }[] })
    .sessions;
}

const curl = (lab: Lab, seconds = 30) => curlDemoPage(lab, seconds);

/** curl by name with the deployed client's steps timed from its log; then ping. */
async function connectAndMeasure(lab: Lab, name: string): Promise<void> {
  const from = lab.logs(name).length;
  const seen = (text: string) => () => lab.logs(name).slice(from).includes(text);
  const start = Date.now();
  const page = curl(lab);
  const step = (text: string) =>
    msUntil(start, seen(text)).catch(async (error: unknown) => {
      const queues = await boundQueues(lab);
      const curled = await page;
      throw new Error(
        `"${text}" ${String(error)}; curl exit ${curled.code}; netfilter queues bound: [${queues}]\n${lab.logs(name).slice(from).slice(-3000)}`,
      );
    });
  const staticKey = await step('Obtained static keys');
  const ephemeral = await step('Obtained ephemeral keys');
  const handshake = await step('Sent handshake message');
  const result = await page;
  const reply = Date.now() - start;
  assert.equal(result.code, 0, `${result.stderr}\n${lab.logs(name).slice(-3000)}`);
  assert.match(result.stdout, /hello from the PQConnect demo server/);
  const { loss, avg, output } = await shortPing(lab);
  assert.equal(loss, 0, output);
  say(
    `static keys ${staticKey} ms, ephemeral keys ${ephemeral} ms, handshake sent ${handshake} ms, first reply ${reply} ms, RTT avg ${avg} ms`,
  );
}

for (const keys of ['our keygen', 'the deployed keygen'] as const) {
  describe(`the deployed client → our pqconnect-server, keys from ${keys}`, {
    skip: ROOT ? false : 'needs root (debootstrap root, network namespaces, TUN)',
  }, () => {
    let lab: Lab;
    let client: DeployedClient;

    before(async () => {
      say(`deployed implementation: ${await ensureDeployedRoot()}`);
      lab = await createLab('pqj');
      let scenario: Scenario;
      if (keys === 'our keygen') {
        scenario = await createServerKeys(lab);
      } else {
        const dir = join(lab.dir, 'deployed');
        const label = await deployedKeygen(lab, dir);
        scenario = { keyDir: join(dir, 'keys'), pq1Label: label, pq1Name: `${label}.demo.test` };
      }
      await startDns(lab, scenario);
      await startWebServer(lab);
      await startServerDaemon(lab, scenario);
      client = await startDeployedClient(lab, 'deployed-client');
      say(`mode: ${client.mode}`);
    });
    after(async () => {
      await lab?.destroy();
    });

    it('curl and ping by name, with timings', async () => {
      await connectAndMeasure(lab, 'deployed-client');
    });

    it('reconnects: a restarted deployed client downloads the keys and shakes hands again', async () => {
      await stopDeployed(client.child);
      // unshare exits before the processes it kills (SIGKILL as their PID namespace ends)
      // have let go of the TUN device and the DNS queue, and the client's DNS proxy is a
      // process of its own: start the next client only once pqccli0 is gone and no process
      // holds netfilter queue 0, or its proxy cannot bind the queue and DNS answers go
      // unanswered.
      await waitFor(
        'the stopped deployed client to release pqccli0 and its DNS queue',
        async () =>
          (await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0'])).code !== 0 &&
          (await boundQueues(lab)).length === 0,
        10_000,
      );
      client = await startDeployedClient(lab, 'deployed-client-2');
      await connectAndMeasure(lab, 'deployed-client-2');
    });

    it('soaks for 70 s across epoch ratchets', {
      skip: keys === 'our keygen' ? false : "the soak runs once, with our keygen's keys",
    }, async () => {
      const { loss, avg, output } = await soakPing(lab);
      const epochs = (await serverSessions(lab)).map((s) => [s.sendEpoch, s.receiveEpoch]);
      say(
        `70 s soak: loss ${loss} %, RTT avg ${avg} ms, server epochs [send, receive] ${JSON.stringify(epochs)}`,
      );
      assert.ok(loss <= 1, `loss ${loss} %\n${output}`);
      assert.ok(
        epochs.some(([send, receive]) => (send ?? 0) >= 2 && (receive ?? 0) >= 2),
        'a tunnel ratcheted at least twice both ways',
      );
      const page = await curl(lab, 10);
      assert.equal(page.code, 0, 'still carrying TCP after the soak');
    });
  });
}
