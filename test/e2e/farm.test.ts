/**
 * The server farm in namespaces (demo/farm.ts): a router and three pqconnect-server
 * instances peering over BGP with Debian's bird2, the router's ECMP route spreading 20
 * strict client engines with traffic. Asserts that the clients spread over every
 * instance the way the router's hash says; that each client's key requests and tunnel
 * packets reach the same instance (nftables sets of source addresses per port, on each
 * instance); that when an instance's server is killed, when it is alive but unhealthy
 * (its crypto port dropped) and when the whole instance dies, its route is withdrawn and
 * its clients' echoes come back from another instance within 5 s; that the instance
 * rejoins; and that no client ever falls back and no packet other than PQConnect's
 * crosses the router.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFarm, type Farm } from '../../demo/farm.ts';
import { waitFor } from '../../demo/lab.ts';
import { type Failover, FarmWatch, pickClients, type Rejoin } from '../support/farm-watch.ts';

const ROOT = process.getuid?.() === 0;
const CLIENTS = 20;
/** Candidate addresses, from which 20 are taken so that every instance gets some. */
const CANDIDATES = 45;
const LEAST_PER_INSTANCE = 4;
const FAILOVER_BOUND_MS = 5_000;

describe('server farm: BGP anycast and ECMP over three instances (namespaces)', {
  skip: ROOT ? false : 'needs root (network namespaces, bird2)',
}, () => {
  let farm: Farm;
  let watch: FarmWatch;
  let scripts = 0;

  const nft = async (namespace: string, script: string) => {
    const file = join(farm.dir, `nft-${++scripts}.conf`);
    await writeFile(file, script);
    const result = await farm.run(namespace, 'nft', ['-f', file]);
    assert.equal(result.code, 0, result.stderr);
  };
  const instance = (index: number) => farm.instances[index - 1]!;
  const setOf = async (index: number, set: string) => {
    const listed = await farm.run(instance(index).namespace, 'nft', [
      ...['-j', 'list', 'set', 'inet', 'farmwatch', set],
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const elements = (
      JSON.parse(listed.stdout) as { nftables: { set?: { elem?: unknown[] } }[] }
    ).nftables.find((e) => e.set)?.set?.elem;
    return (elements ?? [])
      .map((e) => (typeof e === 'string' ? e : (e as { elem: { val: string } }).elem.val))
      .sort();
  };
  const printFailover = (what: string, index: number, f: Failover) => {
    process.stdout.write(
      `# ${what} (instance ${index}, ${f.movedClients} clients): route withdrawn after ${f.withdrawnMs} ms; ` +
        `its clients answered by another instance after ${f.backMs.join(', ')} ms; ` +
        `clients of the other instances moved: ${f.survivorsMoved} of ${f.survivors}\n`,
    );
    const worst = Math.max(...f.backMs);
    assert.ok(worst <= FAILOVER_BOUND_MS, `worst failover ${worst} ms > ${FAILOVER_BOUND_MS} ms`);
  };
  const printRejoin = (what: string, index: number, r: Rejoin) =>
    process.stdout.write(
      `# ${what} (instance ${index}): route announced after ${r.announcedMs} ms, every client answered by its own instance after ${r.allHomeMs} ms\n`,
    );

  before(async () => {
    farm = await createFarm({ instances: 3, clients: CANDIDATES });
    // On the router: count whatever from the clients is not PQConnect (UDP to the key or
    // crypto port) and crosses to the instances. On each instance: the client addresses
    // seen on the key port and on the crypto port.
    await nft(
      farm.router,
      `table inet farmwatch {
  counter other { }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "clients" udp dport { 42424, 42425 } accept
    iifname "clients" counter name other
  }
}`,
    );
    for (const i of farm.instances)
      await nft(
        i.namespace,
        `table inet farmwatch {
  set keyport { type ipv4_addr; flags dynamic; }
  set cryptoport { type ipv4_addr; flags dynamic; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr 10.81.0.0/16 udp dport 42425 add @keyport { ip saddr }
    ip saddr 10.81.0.0/16 udp dport 42424 add @cryptoport { ip saddr }
  }
}`,
      );
    for (const i of farm.instances) await farm.startInstance(i);
    await waitFor(
      'three paths on the router',
      async () => (await farm.paths()).length === 3,
      30_000,
    );
    const { chosen, home } = await pickClients(farm, CLIENTS, LEAST_PER_INSTANCE);
    watch = new FarmWatch(farm, chosen, home);
  });
  after(async () => {
    await farm?.destroy();
  });

  it('spreads the clients over every instance, each where the router hashes it', async () => {
    await waitFor(
      'every client answered by its instance',
      async () => watch.allHome(0),
      60_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${await watch.diagnosis(0)}\n${farm.logs('clients')}`);
    });
    const spread = farm.instances.map((i) => watch.clientsOf(i.index).length);
    process.stdout.write(`# clients per instance: ${spread.join(' / ')}\n`);
    assert.ok(spread.every((n) => n > 0));
    for (const i of farm.instances) {
      const status = await farm.status(i);
      const peers = (status.sessions ?? [])
        .map((s) => s.peer.split(':')[0]!)
        .filter((p) => p.startsWith('10.81.'))
        .sort();
      assert.deepEqual(peers, watch.clientsOf(i.index).sort(), `sessions of instance ${i.index}`);
      assert.equal(status.instance, `i${i.index}`);
    }
  });

  it("sends each client's key requests and handshake to the same instance", async () => {
    for (const i of farm.instances) {
      const mine = watch.clientsOf(i.index).sort();
      assert.deepEqual(await setOf(i.index, 'keyport'), mine, `key port of instance ${i.index}`);
      assert.deepEqual(await setOf(i.index, 'cryptoport'), mine, `crypto port of ${i.index}`);
    }
  });

  /** Instance `index` fails and comes back; both printed, the failover bounded. */
  async function failAndRejoin(
    index: number,
    failure: [string, () => Promise<void>],
    revival: [string, () => Promise<void>],
  ) {
    printFailover(failure[0], index, await watch.failover(index, failure[1]));
    printRejoin(revival[0], index, await watch.rejoin(index, revival[1]));
  }

  it('moves the clients of a killed server process within 5 s; it rejoins', async () => {
    const one = instance(1);
    await failAndRejoin(
      1,
      ['server process killed', () => farm.killServer(one)],
      ['server restarted', () => farm.startInstance(one)],
    );
  });

  it('withdraws an instance that is alive but unhealthy (crypto port dropped)', async () => {
    const two = instance(2);
    await failAndRejoin(
      2,
      ['crypto port dropped', () => farm.dropCryptoPort(two, true)],
      ['crypto port open again', () => farm.dropCryptoPort(two, false)],
    );
    assert.match(farm.logs('health-i2'), /unhealthy 2 times in a row \(tunnel: no echo/);
  });

  it('moves the clients of an instance that dies whole (processes and link); it rejoins', async () => {
    const three = instance(3);
    await failAndRejoin(
      3,
      ['whole instance died', () => farm.killMachine(three)],
      ['instance revived', () => farm.reviveMachine(three)],
    );
  });

  it('never let a client fall back or fail, nor plain traffic cross the router', async () => {
    for (const address of watch.chosen) {
      assert.equal(watch.report(address).fellBack, false, `${address} fell back`);
      assert.equal(watch.report(address).failed, false, `${address} failed`);
    }
    const counter = await farm.run(farm.router, 'nft', [
      ...['-j', 'list', 'counter', 'inet', 'farmwatch', 'other'],
    ]);
    assert.equal(counter.code, 0, counter.stderr);
    const packets = (
      JSON.parse(counter.stdout) as { nftables: { counter?: { packets: number } }[] }
    ).nftables.find((e) => e.counter)?.counter?.packets;
    assert.equal(packets, 0, 'packets other than PQConnect crossed the router');
  });
});
