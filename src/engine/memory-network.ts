/**
 * An in-memory datagram network on an EngineClock: endpoints bound to (address, port),
 * with optional latency, loss, reordering and duplication from a seeded random source.
 * Datagrams that reach one endpoint at the same instant arrive as one batch, as one read
 * of a socket returns them. For tests, simulations and embedding the engine without sockets.
 */
import { Subject } from 'rxjs';
import type { EngineClock } from '../shared/clock.ts';
import type { Datagram, DatagramBatch, DatagramTransport } from '../shared/transport.ts';

export interface LinkConditions {
  latencyMs: number;
  /** Probability that a datagram is lost. */
  loss: number;
  /** Probability that a datagram is delayed by an extra `reorderDelayMs`. */
  reorder: number;
  reorderDelayMs: number;
  /** Probability that a datagram is delivered twice. */
  duplicate: number;
}

export const PERFECT_LINK: LinkConditions = {
  latencyMs: 5,
  loss: 0,
  reorder: 0,
  reorderDelayMs: 20,
  duplicate: 0,
};

/** A small deterministic PRNG (mulberry32) so that lossy runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  bytes: number;
}

export class MemoryNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, bytes: 0 };
  private readonly endpoints = new Map<
    string,
    { address: string; port: number; subject: Subject<DatagramBatch> }
  >();
  /** Batches on their way, by "address:port@arrival time". */
  private readonly arriving = new Map<string, Datagram[]>();
  private readonly taps: ((from: string, to: string, data: Uint8Array) => void)[] = [];
  private readonly blocked = new Set<string>();

  constructor(
    private readonly clock: EngineClock,
    public conditions: LinkConditions = PERFECT_LINK,
    private readonly random: () => number = seededRandom(1),
  ) {}

  bind(address: string, port: number): DatagramTransport {
    const key = `${address}:${port}`;
    if (this.endpoints.has(key)) throw new Error(`address in use: ${key}`);
    const subject = new Subject<DatagramBatch>();
    const endpoint = { address, port, subject };
    this.endpoints.set(key, endpoint);
    return {
      datagrams: subject.asObservable(),
      copiesOnSend: true,
      send: (data, toAddress, toPort) =>
        this.transmit(endpoint.address, endpoint.port, data, toAddress, toPort),
      close: () => {
        this.endpoints.delete(`${endpoint.address}:${endpoint.port}`);
        subject.complete();
      },
    };
  }

  /** Moves a bound endpoint to a new address and port (a roaming host, a NAT rebinding). */
  rebind(address: string, port: number, newAddress: string, newPort: number): void {
    const endpoint = this.endpoints.get(`${address}:${port}`);
    if (endpoint === undefined) throw new Error(`nothing bound at ${address}:${port}`);
    this.endpoints.delete(`${address}:${port}`);
    endpoint.address = newAddress;
    endpoint.port = newPort;
    this.endpoints.set(`${newAddress}:${newPort}`, endpoint);
  }

  /** Drops every datagram sent to address:port (a firewall), until unblocked. */
  block(address: string, port: number): void {
    this.blocked.add(`${address}:${port}`);
  }

  unblock(address: string, port: number): void {
    this.blocked.delete(`${address}:${port}`);
  }

  /**
   * Puts a datagram on the wire with any source address and port, bound or not — what an
   * off-path attacker who can spoof sources does.
   */
  spoof(
    fromAddress: string,
    fromPort: number,
    data: Uint8Array,
    toAddress: string,
    toPort: number,
  ): void {
    this.transmit(fromAddress, fromPort, data, toAddress, toPort);
  }

  /** Observes every datagram put on the wire (for tests that inspect traffic). */
  tap(listener: (from: string, to: string, data: Uint8Array) => void): void {
    this.taps.push(listener);
  }

  private transmit(
    fromAddress: string,
    fromPort: number,
    data: Uint8Array,
    toAddress: string,
    toPort: number,
  ) {
    const copy = data.slice();
    this.stats.sent++;
    this.stats.bytes += copy.length;
    for (const tap of this.taps) tap(`${fromAddress}:${fromPort}`, `${toAddress}:${toPort}`, copy);
    const c = this.conditions;
    if (this.random() < c.loss || this.blocked.has(`${toAddress}:${toPort}`)) {
      this.stats.lost++;
      return;
    }
    const copies = this.random() < c.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = c.latencyMs + (this.random() < c.reorder ? c.reorderDelayMs : 0);
      const datagram = { data: copy.slice(), address: fromAddress, port: fromPort };
      this.deliverLater(`${toAddress}:${toPort}`, datagram, delay);
    }
  }

  /** Joins the batch arriving at the same endpoint at the same instant, or starts one. */
  private deliverLater(to: string, datagram: Datagram, delayMs: number): void {
    const group = `${to}@${this.clock.now() + delayMs}`;
    const joined = this.arriving.get(group);
    if (joined !== undefined) {
      joined.push(datagram);
      return;
    }
    const batch = [datagram];
    this.arriving.set(group, batch);
    this.clock.setTimeout(() => {
      this.arriving.delete(group);
      const target = this.endpoints.get(to);
      if (target === undefined) return;
      this.stats.delivered += batch.length;
      target.subject.next(batch);
    }, delayMs);
  }
}
