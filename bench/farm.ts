/**
 * npm run bench:farm (as root) — the server farm of demo/farm.ts (bird2, ECMP, three
 * instances) measured:
 *   1. handshakes/s and established sessions per instance with 1, 2 and 3 instances
 *      announced, under a paced load of distinct handshakes from LOAD_SOURCES addresses
 *      (farm-load.ts), with each instance worker's CPU per handshake and whether any
 *      route was withdrawn under the load;
 *   2. failover with 20 clients sending echoes: server process killed, crypto port
 *      dropped, whole instance dead — route withdrawn after, moved clients answered by
 *      another instance after (median, worst), survivors moved; and rejoin times;
 *   3. the share of surviving clients' flows remapped when one of three paths goes, over
 *      REMAP_SOURCES source addresses looked up with `ip route get`: the hash-threshold
 *      multipath route bird installs, and a resilient nexthop group;
 *   4. the router's added latency: ping RTT client → instance link address (through the
 *      router) minus router → instance.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFarm, type Farm, type Instance, SERVICE_ADDRESS } from '../demo/farm.ts';
import { waitFor } from '../demo/lab.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../src/protocol/constants.ts';
import { type Failover, FarmWatch, pickClients } from '../test/support/farm-watch.ts';
import { cpuSeconds, median, pingAverage } from './net-measure.ts';

const LOAD_SOURCES = 240;
const LOAD_SECONDS = 4;
/** Per source and second: under the server's limit of 20 (burst 40) per source. */
const LOAD_RATE = 18;
const WATCHED_CLIENTS = 20;
const REMAP_SOURCES = 1_000;
const FARM_LOAD = join(import.meta.dirname, 'farm-load.ts');

interface LoadRow {
  instances: number;
  total: number;
  perInstance: { handshakesPerSecond: number; sessions: number; cpuUsPerHandshake: number }[];
  offered: number;
  withdrawals: number;
}

async function accepted(farm: Farm, instance: Instance) {
  // A worker still working through a backlog may not answer at once.
  let status = await farm.status(instance).catch(() => null);
  for (let tries = 0; status === null && tries < 10; tries++) {
    await new Promise((r) => setTimeout(r, 1_000));
    status = await farm.status(instance).catch((error: Error) => {
      console.error(`  ${error.message}`);
      return null;
    });
  }
  if (status === null) throw new Error(`no status from instance ${instance.index}`);
  const workerPid = (status as { workerPid?: number }).workerPid;
  return {
    handshakes: status.counters?.['handshakes accepted'] ?? 0,
    sessions: (status.sessions ?? []).filter((s) => s.peer.startsWith('10.81.')).length,
    cpu: workerPid === undefined ? 0 : await cpuSeconds(workerPid),
  };
}

async function handshakeLoad(farm: Farm, announced: Instance[]): Promise<LoadRow> {
  const sources = farm.clientAddresses.slice(0, LOAD_SOURCES);
  const before = await Promise.all(announced.map((i) => accepted(farm, i)));
  const load = farm.start(
    farm.clients,
    process.execPath,
    [
      ...['--import', 'tsx', FARM_LOAD, farm.keyDir, SERVICE_ADDRESS],
      ...[String(DEFAULT_CRYPTO_PORT), String(DEFAULT_KEY_PORT), String(LOAD_SECONDS)],
      ...[String(LOAD_RATE), sources.join(',')],
    ],
    `load-${announced.length}`,
  );
  // Sample the router's paths while the load runs: a withdrawal under load is a finding.
  let withdrawals = 0;
  const sampling = setInterval(() => {
    farm
      .paths()
      .then((paths) => {
        if (paths.length < announced.length) withdrawals++;
      })
      .catch(() => withdrawals++);
  }, 250);
  const code = await new Promise<number | null>((resolve) => load.once('exit', resolve));
  clearInterval(sampling);
  const output = farm.logs(`load-${announced.length}`);
  const line = output.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || line === undefined) throw new Error(`farm-load failed: ${output}`);
  const result = JSON.parse(line) as { sendSeconds: number; sent: number; replies: number };
  const after = await Promise.all(announced.map((i) => accepted(farm, i)));
  const perInstance = announced.map((_, k) => {
    const handshakes = after[k]!.handshakes - before[k]!.handshakes;
    return {
      handshakesPerSecond: handshakes / result.sendSeconds,
      sessions: after[k]!.sessions - before[k]!.sessions,
      cpuUsPerHandshake:
        handshakes === 0 ? 0 : ((after[k]!.cpu - before[k]!.cpu) * 1e6) / handshakes,
    };
  });
  return {
    instances: announced.length,
    total: perInstance.reduce((sum, p) => sum + p.handshakesPerSecond, 0),
    perInstance,
    offered: result.sent / result.sendSeconds,
    withdrawals,
  };
}

function printLoad(rows: LoadRow[]): void {
  console.log(
    `\nhandshakes under load (${LOAD_SOURCES} sources × ${LOAD_RATE}/s, ${LOAD_SECONDS} s; 2 cores shared by the instances, the load and the router)`,
  );
  console.log(
    'instances  offered/s  accepted/s  per instance (handshakes/s, sessions, µs CPU each)  withdrawals',
  );
  for (const row of rows) {
    const each = row.perInstance
      .map(
        (p) =>
          `${p.handshakesPerSecond.toFixed(0)}/${p.sessions}/${p.cpuUsPerHandshake.toFixed(0)}`,
      )
      .join('  ');
    console.log(
      `${String(row.instances).padStart(9)}  ${row.offered.toFixed(0).padStart(9)}  ${row.total.toFixed(0).padStart(10)}  ${each.padEnd(52)}  ${row.withdrawals}`,
    );
  }
}

function printFailover(what: string, f: Failover): void {
  console.log(
    `${what.padEnd(26)} withdrawn ${String(f.withdrawnMs).padStart(5)} ms  moved clients back after median ${median(f.backMs).toFixed(0).padStart(5)} ms, worst ${Math.max(
      ...f.backMs,
    )
      .toFixed(0)
      .padStart(
        5,
      )} ms (${f.movedClients} clients)  survivors moved ${f.survivorsMoved}/${f.survivors}`,
  );
}

async function failovers(farm: Farm): Promise<void> {
  const { chosen, home } = await pickClients(farm, WATCHED_CLIENTS, 3);
  const watch = new FarmWatch(farm, chosen, home);
  await waitFor('every client answered by its instance', async () => watch.allHome(0), 60_000);
  const [first, second, third] = farm.instances as [Instance, Instance, Instance];
  console.log(
    `\nfailover (${WATCHED_CLIENTS} clients, echo every 200 ms; health check every 0.5 s, 2 failures)`,
  );
  printFailover('server process killed', await watch.failover(1, () => farm.killServer(first)));
  const back1 = await watch.rejoin(1, () => farm.startInstance(first));
  printFailover(
    'crypto port dropped',
    await watch.failover(2, () => farm.dropCryptoPort(second, true)),
  );
  const back2 = await watch.rejoin(2, () => farm.dropCryptoPort(second, false));
  printFailover('whole instance died', await watch.failover(3, () => farm.killMachine(third)));
  const back3 = await watch.rejoin(3, () => farm.reviveMachine(third));
  for (const [what, r] of [
    ['server restarted', back1],
    ['crypto port open again', back2],
    ['instance revived', back3],
  ] as const)
    console.log(
      `rejoin: ${what.padEnd(22)} route announced after ${r.announcedMs} ms, every client home after ${r.allHomeMs} ms`,
    );
  const fell = chosen.filter((a) => watch.report(a).fellBack || watch.report(a).failed);
  console.log(`clients that fell back or failed: ${fell.length}`);
  watch.clients.kill('SIGTERM');
}

/** Where each of the sources is routed for `destination`, by `ip -batch` route lookups. */
async function lookups(farm: Farm, destination: string, sources: string[]): Promise<string[]> {
  const file = join(farm.dir, 'lookups.batch');
  await writeFile(
    file,
    sources.map((s) => `route get ${destination} from ${s} iif clients`).join('\n'),
  );
  const result = await farm.run(farm.router, 'ip', ['-batch', file]);
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith(destination))
    .map((l) => /via (\S+)/.exec(l)?.[1] ?? '?');
}

async function remapShare(farm: Farm): Promise<void> {
  const sources = Array.from(
    { length: REMAP_SOURCES },
    (_, i) => `10.81.${8 + (i >> 8)}.${i & 0xff}`,
  );
  const via = farm.instances.map((i) => `via ${i.address} dev i${i.index}`);
  const ip = async (args: string[]) => {
    const result = await farm.run(farm.router, 'ip', args);
    if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr}`);
  };
  const threshold = '10.91.0.1';
  const resilient = '10.91.0.2';
  for (const [k, i] of farm.instances.entries())
    await ip(['nexthop', 'add', 'id', String(100 + i.index), ...via[k]!.split(' ')]);
  console.log(
    `\nsurvivors remapped when one of 3 paths goes (${REMAP_SOURCES} sources, ip route get)`,
  );
  console.log("path removed  hash-threshold (bird's route)  resilient group (128 buckets)");
  const resilientGroup = (indices: number[]) =>
    ip([
      ...['nexthop', 'replace', 'id', '110', 'group', indices.map((i) => 100 + i).join('/')],
      ...['type', 'resilient', 'buckets', '128'],
    ]);
  for (const removed of [1, 2, 3]) {
    const all = farm.instances.map((i) => i.index);
    const left = all.filter((i) => i !== removed);
    const nexthops = (indices: number[]) =>
      indices.flatMap((i) => ['nexthop', ...via[i - 1]!.split(' ')]);
    await ip(['route', 'replace', `${threshold}/32`, ...nexthops(all)]);
    await resilientGroup(all);
    await ip(['route', 'replace', `${resilient}/32`, 'nhid', '110']);
    const beforeThreshold = await lookups(farm, threshold, sources);
    const beforeResilient = await lookups(farm, resilient, sources);
    await ip(['route', 'replace', `${threshold}/32`, ...nexthops(left)]);
    await resilientGroup(left);
    const afterThreshold = await lookups(farm, threshold, sources);
    const afterResilient = await lookups(farm, resilient, sources);
    const gone = farm.instances[removed - 1]!.address;
    const share = (before: string[], after: string[]) => {
      const survivors = before.map((v, n) => [v, after[n]] as const).filter(([v]) => v !== gone);
      const moved = survivors.filter(([v, w]) => v !== w).length;
      return `${moved}/${survivors.length} (${((100 * moved) / survivors.length).toFixed(1)} %)`;
    };
    console.log(
      `${String(removed).padStart(12)}  ${share(beforeThreshold, afterThreshold).padStart(29)}  ${share(beforeResilient, afterResilient).padStart(29)}`,
    );
  }
}

async function routerLatency(farm: Farm): Promise<void> {
  const target = farm.instances[0]!.address;
  const through = await pingAverage(
    (args) => farm.run(farm.clients, 'ping', ['-I', farm.clientAddresses[0]!, ...args]),
    target,
    200,
  );
  const direct = await pingAverage((args) => farm.run(farm.router, 'ping', args), target, 200);
  console.log(
    `\nrouter's added latency: ping RTT client → instance ${through.toFixed(3)} ms, router → instance ${direct.toFixed(3)} ms: ${((through - direct) * 1000).toFixed(0)} µs added (200 pings each)`,
  );
}

const farm = await createFarm({ instances: 3, clients: LOAD_SOURCES });
try {
  const rows: LoadRow[] = [];
  for (const instance of farm.instances) {
    await farm.startInstance(instance);
    await waitFor(
      `${instance.index} paths`,
      async () => (await farm.paths()).length === instance.index,
      30_000,
    );
    rows.push(await handshakeLoad(farm, farm.instances.slice(0, instance.index)));
  }
  printLoad(rows);
  await failovers(farm);
  await remapShare(farm);
  await routerLatency(farm);
} finally {
  await farm.destroy();
}
