/**
 * Watching the farm's clients (farm-clients.ts in the clients' namespace) through an
 * instance failure, for the farm test and bench:farm: which instance the router's hash
 * sends a client address to, a pick of clients that gives every instance some, and the
 * measured failover (route withdrawn, each moved client's first reply from another
 * instance, survivors that moved too) and rejoin of one instance.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Farm, ROUTER_CLIENT_SIDE, SERVICE_ADDRESS, SERVICE_NAME } from '../../demo/farm.ts';
import { waitFor } from '../../demo/lab.ts';

const FARM_CLIENTS = join(import.meta.dirname, 'farm-clients.ts');
/** The client's least time between two handshakes caused by `03 00` notices
 * (LIVENESS.noticeReconnectIntervalMs): a failover waits it out first, so each measures
 * the fast path. */
const NOTICE_RECONNECT_INTERVAL_MS = 10_000;

export interface Gap {
  from: number;
  to: number;
  ttlBefore: number | null;
  ttlAfter: number;
}

export interface ClientReport {
  ttl: number | null;
  replyAt: number;
  state: string;
  fellBack: boolean;
  failed: boolean;
  gaps: Gap[];
}

export interface Failover {
  movedClients: number;
  withdrawnMs: number;
  /** Per moved client: from the failure to its first reply from another instance. */
  backMs: number[];
  /** Clients of the other instances whose replies changed instance meanwhile. */
  survivorsMoved: number;
  survivors: number;
}

export interface Rejoin {
  announcedMs: number;
  /** Until every client was answered by its own instance again. */
  allHomeMs: number;
}

const SILENT: ClientReport = {
  ttl: null,
  replyAt: 0,
  state: 'null',
  fellBack: false,
  failed: false,
  gaps: [],
};

/** The instance the router's route sends packets from `address` to. */
export async function routedTo(farm: Farm, address: string): Promise<number | undefined> {
  const route = await farm.run(farm.router, 'ip', [
    ...['route', 'get', SERVICE_ADDRESS, 'from', address, 'iif', 'clients'],
  ]);
  return farm.instances.find((i) => route.stdout.includes(`via ${i.address} `))?.index;
}

/**
 * `count` of the farm's client addresses with at least `least` on every instance (the
 * others in order), and where each address is routed now; throws if the hash gives an
 * instance fewer than `least` candidates.
 */
export async function pickClients(farm: Farm, count: number, least: number) {
  const home = new Map<string, number>();
  for (const address of farm.clientAddresses) {
    const index = await routedTo(farm, address);
    if (index === undefined) throw new Error(`no path for ${address}`);
    home.set(address, index);
  }
  const of = (index: number) => farm.clientAddresses.filter((a) => home.get(a) === index);
  const counts = farm.instances.map((i) => of(i.index).length);
  if (counts.some((n) => n < least))
    throw new Error(`the router's hash gave ${counts.join('/')} candidates`);
  const taken = new Set(farm.instances.flatMap((i) => of(i.index).slice(0, least)));
  for (const address of farm.clientAddresses) if (taken.size < count) taken.add(address);
  return { chosen: farm.clientAddresses.filter((a) => taken.has(a)), home };
}

export class FarmWatch {
  private latest: ClientReport[] = [];
  private lastFailoverAt = 0;
  readonly clients: ChildProcess;

  constructor(
    private readonly farm: Farm,
    readonly chosen: string[],
    readonly home: Map<string, number>,
  ) {
    this.clients = farm.start(
      farm.clients,
      process.execPath,
      ['--import', 'tsx', FARM_CLIENTS, ROUTER_CLIENT_SIDE, SERVICE_NAME, chosen.join(',')],
      'clients',
    );
    createInterface({ input: this.clients.stdout! }).on('line', (line) => {
      if (line.startsWith('{'))
        this.latest = (JSON.parse(line) as { clients: ClientReport[] }).clients;
    });
  }

  report(address: string): ClientReport {
    return this.latest[this.chosen.indexOf(address)] ?? SILENT;
  }

  clientsOf(index: number): string[] {
    return this.chosen.filter((a) => this.home.get(a) === index);
  }

  private ttlOf(index: number): number {
    return this.farm.instances[index - 1]!.ttl;
  }

  /** Every client answered after `since` by its own instance. */
  allHome(since: number): boolean {
    return this.chosen.every(
      (a) => this.report(a).replyAt > since && this.report(a).ttl === this.ttlOf(this.home.get(a)!),
    );
  }

  /** Each client: its instance by the router, by its last reply, and its state. */
  async diagnosis(since: number): Promise<string> {
    const route = await this.farm.run(this.farm.router, 'ip', ['route', 'show', SERVICE_ADDRESS]);
    const lines = [];
    for (const a of this.chosen) {
      const r = this.report(a);
      const answered = r.replyAt > since ? 'answered' : 'silent';
      lines.push(
        `${a} home ${this.home.get(a)} routed ${await routedTo(this.farm, a)} ttl ${r.ttl} ${answered} ${r.state}`,
      );
    }
    return `route: ${route.stdout.trim()}\n${lines.join('\n')}`;
  }

  /** Instance `index` fails by `fail`; measures until its route is gone and its clients
   * are answered by other instances (every client answered after the failure). */
  async failover(index: number, fail: () => Promise<void>): Promise<Failover> {
    const wait = this.lastFailoverAt + NOTICE_RECONNECT_INTERVAL_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const moved = this.clientsOf(index);
    const at = Date.now();
    await fail();
    await waitFor(
      `route via instance ${index} withdrawn`,
      async () => !(await this.farm.paths()).includes(index),
      15_000,
    );
    const withdrawnMs = Date.now() - at;
    const ttl = this.ttlOf(index);
    await waitFor(
      `clients of instance ${index} answered by others`,
      async () =>
        moved.every((a) => this.report(a).replyAt > at && this.report(a).ttl !== ttl) &&
        this.chosen.every((a) => this.report(a).replyAt > at),
      30_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${await this.diagnosis(at)}`);
    });
    const backMs = moved.map((a) => {
      const gap = this.report(a).gaps.find((g) => g.to > at && g.ttlAfter !== ttl);
      return (gap?.to ?? this.report(a).replyAt) - at;
    });
    const survivors = this.chosen.filter((a) => this.home.get(a) !== index);
    const survivorsMoved = survivors.filter((a) =>
      this.report(a).gaps.some((g) => g.to > at && g.ttlAfter !== g.ttlBefore),
    ).length;
    this.lastFailoverAt = Date.now();
    return {
      movedClients: moved.length,
      withdrawnMs,
      backMs,
      survivorsMoved,
      survivors: survivors.length,
    };
  }

  /** Instance `index` comes back by `revive`: its route returns and every client is
   * answered by its own instance again. */
  async rejoin(index: number, revive: () => Promise<void>): Promise<Rejoin> {
    const at = Date.now();
    await revive();
    await waitFor(
      `route via instance ${index} back`,
      async () => (await this.farm.paths()).includes(index),
      30_000,
    );
    const announcedMs = Date.now() - at;
    await waitFor(
      `clients of instance ${index} answered by it again`,
      async () => this.allHome(at),
      45_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${await this.diagnosis(at)}`);
    });
    this.lastFailoverAt = Date.now();
    return { announcedMs, allHomeMs: Date.now() - at };
  }
}
