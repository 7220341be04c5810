/**
 * The embeddable PQConnect server: key server, handshake responder, tunnels and cookies
 * over injected datagram transports, clock and randomness. Inner packets that arrive
 * through tunnels come out of `innerBatches`, one batch per batch of datagrams read
 * (or one at a time from `innerPackets`; addresses rewritten, checksums repaired);
 * replies go in through `sendInnerBatch` (or `sendInner`) and leave through the tunnel
 * of the peer whose internal address they are sent to. No root, no TUN: the daemon adds those.
 */

import { randomBytes } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { type Actor, createActor, fromPromise } from 'xstate';
import { ephemeralRotationMachine } from '../actors/ephemeral-rotation.ts';
import { type ServerSessionEvent, serverSessionMachine } from '../actors/server-session.ts';
import { wipe } from '../crypto/bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { CookieKeyChain, openCookie, sealCookie } from '../protocol/cookie.ts';
import { parseHandshake, respondToHandshake } from '../protocol/handshake.ts';
import {
  type CheckedIpv4Packet,
  formatIpv4Address,
  type InnerChecksums,
  parseIpv4Address,
} from '../protocol/ipv4.ts';
import { buildKeyTree, type KeyTree } from '../protocol/keytree.ts';
import { formatPq1Label } from '../protocol/names.ts';
import { ReplaySet } from '../protocol/replay-set.ts';
import { TunnelSession } from '../protocol/tunnel-session.ts';
import { type EngineClock, seconds, systemClock } from '../shared/clock.ts';
import { Counters } from '../shared/counters.ts';
import type { ServerKeys } from '../shared/keys.ts';
import {
  closableSender,
  type Datagram,
  type DatagramBatch,
  type DatagramTransport,
} from '../shared/transport.ts';
import { BatchOutlet } from '../streams/batch-outlet.ts';
import { classifyDatagram, tunnelIdKey } from '../streams/classify.ts';
import { routeInnerPackets } from '../streams/inner-route.ts';
import { serveKeys } from '../streams/key-server.ts';
import { TunnelIndex } from '../streams/tunnel-index.ts';
import { AddressPool } from './address-pool.ts';
import { AddressTable } from './address-table.ts';
import { SERVER_ENGINE_COUNTERS } from './counter-catalogues.ts';
import { detach } from './detached.ts';
import { EarlyPacketBuffer } from './early-packets.ts';
import { EphemeralKeyStore } from './ephemeral-keys.ts';
import { keepaliveDue } from './keepalive.ts';
import type { EngineLog, LogLevel } from './log.ts';
import { MaintenanceSweep } from './maintenance-sweep.ts';
import { RateLimiter } from './rate-limiter.ts';
import { ServerSessionRecord } from './server-session-record.ts';
import { SessionEventBus } from './session-events.ts';
import {
  sealBufferFor,
  type TrafficCounts,
  type TunnelEndpoint,
  type TunnelHost,
} from './tunnel-endpoint.ts';

export interface ServerEngineOptions {
  suite: CryptoSuite;
  keys: ServerKeys;
  cryptoTransport: DatagramTransport;
  keyTransport: DatagramTransport;
  clock?: EngineClock;
  random?: (length: number) => Uint8Array;
  /** The server's own tunnel address; peers get the others of its /prefixLength. */
  tunnelAddress?: string;
  prefixLength?: number;
  /** Deliver inner packets to this address instead of tunnelAddress (server-in-a-bottle). */
  hostAddress?: string;
  /** Most tunnels held at once; beyond it the least recently active one is offloaded by cookie. */
  maxSessions?: number;
  maxPendingHandshakes?: number;
  /** Handshakes accepted per source address and second (burst: twice that). */
  handshakesPerSecond?: number;
  ephemeralSlotsAhead?: number;
  /** Answer packets for unknown tunnels with `03 00` (false: stay silent, as the deployed server). */
  noticeUnknownTunnels?: boolean;
  /** Hold 0-RTT data that overtakes its handshake (false: drop it, as the deployed server). */
  holdEarlyData?: boolean;
  /** Confirm a new tunnel with a keepalive at once (false: send nothing until there is data,
   * as the deployed server). */
  confirmHandshakes?: boolean;
  /** 'partial': inner TCP/UDP packets come out of innerPackets with only the pseudo-header
   * sum in their checksum, for a TUN device with virtio-net headers that completes it
   * (default 'complete': every checksum valid). */
  innerChecksums?: InnerChecksums;
  log?: EngineLog;
}

export interface ServerSessionInfo extends TrafficCounts {
  id: string;
  state: unknown;
  peer: string;
  internalAddress: string;
  sendEpoch: number;
  receiveEpoch: number;
  /** When the handshake made this tunnel (ms). */
  since: number;
}

const defaultRandom = (length: number) => new Uint8Array(randomBytes(length));

/** A keepalive from a client is answered with one (a client's liveness probe, a lost
 * handshake confirmation), and a data packet from a peer we have not sent to for this
 * long is answered with one too, so a client that sends hears an authenticated sign of
 * life within about a second also for one-way traffic (docs/session-rules.md). An answer
 * is never larger than what it answers. */
const KEEPALIVE_ANSWER_AFTER_MS = 1_000;
/** At most one keepalive answer per tunnel in this time: a peer that answers keepalives
 * too (ours never do) cannot start a ping-pong faster than this. Client probes and
 * handshake resends are a second apart, so each still gets its answer. */
const KEEPALIVE_ANSWER_INTERVAL_MS = 200;

export class ServerEngine {
  readonly counters = new Counters(SERVER_ENGINE_COUNTERS);
  readonly events: SessionEventBus;
  readonly tree: KeyTree;
  private readonly inner = new BatchOutlet<Uint8Array>();
  readonly innerBatches = this.inner.batches;
  readonly innerPackets = this.inner.items;

  private readonly clock: EngineClock;
  private readonly random: (length: number) => Uint8Array;
  private readonly pool: AddressPool;
  private readonly maxSessions: number;
  private readonly maxPending: number;
  private readonly store = new EphemeralKeyStore();
  private readonly cookieChain: CookieKeyChain;
  private readonly replays: ReplaySet;
  private readonly cookieReplays: ReplaySet;
  private readonly byTunnel = new TunnelIndex<ServerSessionRecord>();
  private readonly byAddress: AddressTable<ServerSessionRecord>;
  private readonly subscriptions: Subscription[] = [];
  private readonly rotation: Actor<typeof ephemeralRotationMachine>;
  private readonly firstKeys: Promise<void>;
  private pendingHandshakes = 0;
  private readonly lastFailureNotice = new Map<string, number>();
  private readonly handshakeLimiter: RateLimiter;
  /** 0-RTT packets that overtook their handshake (still being decapsulated). */
  private readonly earlyPackets: EarlyPacketBuffer;
  private closed = false;
  /** Every datagram the engine sends on the crypto port goes here: nothing after close(). */
  private readonly send: (data: Uint8Array, address: string, port: number) => void;
  /** What all of this engine's tunnel endpoints share. */
  private readonly tunnelHost: TunnelHost<ServerSessionRecord>;
  private readonly sessionMachine: typeof serverSessionMachine;
  private readonly recordByActor = new WeakMap<object, ServerSessionRecord>();
  private readonly sweep: MaintenanceSweep<ServerSessionRecord>;
  private readonly sealRouted = (record: ServerSessionRecord, packet: CheckedIpv4Packet) =>
    record.endpoint.sealInner(packet);

  constructor(private readonly options: ServerEngineOptions) {
    this.send = closableSender(
      options.cryptoTransport,
      () => this.closed,
      () => this.counters.drop('send after close'),
    );
    this.sessionMachine = this.provideSessionMachine();
    const { suite, keys } = options;
    this.replays = new ReplaySet(suite.sym);
    this.cookieReplays = new ReplaySet(suite.sym);
    this.clock = options.clock ?? systemClock;
    this.tunnelHost = {
      roaming: 'follow',
      deliverTo: parseIpv4Address(options.hostAddress ?? options.tunnelAddress ?? '10.42.0.1'),
      innerChecksums: options.innerChecksums ?? 'complete',
      clock: this.clock,
      counters: this.counters,
      send: this.send,
      sealBuffer: sealBufferFor(options.cryptoTransport),
      epochsAdvanced: (record, sendEpoch, receiveEpoch) =>
        this.tell(record, { type: 'EPOCH_ADVANCED', sendEpoch, receiveEpoch }),
      roamed: (record, { address, port }) =>
        this.tell(record, { type: 'PEER_ROAMED', address, port }),
    };
    this.events = new SessionEventBus(this.clock);
    this.random = options.random ?? defaultRandom;
    this.pool = new AddressPool(options.tunnelAddress ?? '10.42.0.1', options.prefixLength ?? 16);
    this.byAddress = new AddressTable(this.pool.network, this.pool.size);
    this.maxSessions = Math.min(options.maxSessions ?? this.pool.capacity, this.pool.capacity);
    this.maxPending = options.maxPendingHandshakes ?? 64;
    const perSecond = options.handshakesPerSecond ?? 20;
    this.handshakeLimiter = new RateLimiter(perSecond, 2 * perSecond);
    this.earlyPackets = new EarlyPacketBuffer(this.clock);
    this.tree = buildKeyTree(suite.sym, keys.mceliecePk, keys.x25519Pk);
    this.cookieChain = new CookieKeyChain(suite.sym, keys.sessionKey, this.random(32));
    this.cookieChain.update(seconds(this.clock), this.random(32));

    let firstKeysReady: () => void = () => {};
    this.firstKeys = new Promise((resolve) => {
      firstKeysReady = resolve;
    });
    this.rotation = this.startRotation(firstKeysReady);
    this.sweep = new MaintenanceSweep(this.clock, this.byAddress, (record, now) =>
      this.maintain(record, now),
    );
    this.sweep.start();
    this.subscriptions.push(
      serveKeys(
        options.keyTransport,
        this.tree,
        () => this.store.current(seconds(this.clock)),
        this.counters,
      ),
      options.cryptoTransport.datagrams.subscribe((batch) => this.onCryptoDatagrams(batch)),
    );
    this.log(
      `server engine up: ${formatPq1Label(this.tree.root)}, crypto backend ${suite.backend}`,
    );
  }

  /** Resolves once the first ephemeral keys exist (the key server can answer). */
  ready(): Promise<void> {
    return this.firstKeys;
  }

  /** Inner packets from the local side (a TUN read), each addressed to a peer's internal
   * address. */
  sendInnerBatch(packets: readonly Uint8Array[]): void {
    routeInnerPackets(packets, this.byAddress, this.sealRouted, this.counters);
  }

  /** One inner packet from the local side. */
  sendInner(packet: Uint8Array): void {
    this.sendInnerBatch([packet]);
  }

  sessions(): ServerSessionInfo[] {
    return [...this.byTunnel.values()].map((r) => ({
      id: r.id,
      state: r.actor?.getSnapshot().value ?? 'established',
      peer: r.peerText,
      internalAddress: formatIpv4Address(r.internalAddress),
      sendEpoch: r.endpoint.sendEpoch,
      receiveEpoch: r.endpoint.receiveEpoch,
      packetsIn: r.packetsIn,
      packetsOut: r.packetsOut,
      bytesIn: r.bytesIn,
      bytesOut: r.bytesOut,
      since: r.since,
    }));
  }

  /** Slot start times of the ephemeral keys held (no key material). */
  ephemeralSlots(): number[] {
    return this.store.heldSlots();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const record of [...this.byTunnel.values()])
      this.tell(record, { type: 'CLOSE', reason: 'server shutdown' });
    this.rotation.stop();
    this.sweep.stop();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.store.close();
    this.cookieChain.close();
    this.inner.complete();
    this.events.close();
    this.log('server engine closed');
  }

  private log(message: string, level: LogLevel = 'info'): void {
    this.options.log?.(message, level);
  }

  private startRotation(firstKeysReady: () => void): Actor<typeof ephemeralRotationMachine> {
    const { suite } = this.options;
    const ahead = this.options.ephemeralSlotsAhead ?? 2;
    const generate = async (): Promise<number> => {
      const missing = this.store.missingSlots(seconds(this.clock), ahead);
      for (const slot of missing) {
        const { publicKey, secretKey } = await suite.kem.keypair('sntrup761');
        const x25519Sk = this.random(32);
        this.store.add(slot, {
          ekemPk: publicKey,
          ekemSk: secretKey,
          x25519Sk,
          x25519Pk: suite.sym.x25519PublicKey(x25519Sk),
        });
      }
      firstKeysReady();
      return missing.length;
    };
    const live = ephemeralRotationMachine.provide({
      actors: { generateAhead: fromPromise(generate) },
      actions: {
        eraseExpiredSecrets: () => {
          const now = seconds(this.clock);
          const erased = this.store.eraseExpired(now);
          this.cookieChain.update(now, this.random(32));
          if (erased > 0) this.log(`erased ${erased} ephemeral key slot(s) older than 120 s`);
        },
        reportGenerationFailure: () => this.log('ephemeral key generation failed; retrying'),
      },
      delays: { UNTIL_NEXT_SLOT: () => 30_000 - (this.clock.now() % 30_000) + 1 },
    });
    const actor = createActor(live, { clock: this.clock });
    actor.start();
    return actor;
  }

  private onCryptoDatagrams(batch: DatagramBatch): void {
    for (const datagram of batch) {
      if (this.closed) return;
      this.onCryptoDatagram(datagram);
    }
    this.inner.flush();
  }

  private onCryptoDatagram(datagram: Datagram): void {
    switch (classifyDatagram(datagram)) {
      case 'tunnel':
        this.onTunnelPacket(datagram);
        return;
      case 'handshake':
        detach(this.onHandshake(datagram), this.counters, 'handshake: computation failed', (m) =>
          this.log(m, 'warn'),
        );
        return;
      case 'cookie':
        this.onCookie(datagram);
        return;
      default:
        this.counters.drop('crypto port: unexpected message type');
    }
  }

  private onTunnelPacket({ data, address, port }: Datagram): void {
    const record = this.byTunnel.forPacket(data);
    if (record === undefined) {
      const pending = this.pendingHandshakes > 0;
      if (this.options.holdEarlyData === false && pending) {
        this.counters.drop('tunnel: data before its handshake completed');
        return;
      }
      // Only on this slow path (no tunnel) is the id spelled out, to hold early data.
      const key = tunnelIdKey(data);
      if (key !== null && this.earlyPackets.hold(key, { data, address, port }, pending)) return;
      this.counters.drop('tunnel: unknown tunnel id');
      if (this.options.noticeUnknownTunnels !== false) this.tellHandshakeFailed(address, port);
      return;
    }
    const { endpoint } = record;
    const received = endpoint.receive(data, address, port);
    const now = this.clock.now();
    switch (received.kind) {
      case 'cookie':
        this.counters.drop('tunnel: cookie sent to a server');
        return;
      case 'keepalive':
        if (now - record.lastKeepaliveAnswer >= KEEPALIVE_ANSWER_INTERVAL_MS) {
          record.lastKeepaliveAnswer = now;
          endpoint.sendKeepalive();
        }
        return;
      case 'packet':
        if (now - endpoint.lastSent >= KEEPALIVE_ANSWER_AFTER_MS) endpoint.sendKeepalive();
        this.inner.push(received.packet);
        return;
      case 'dropped':
        return;
    }
  }

  /**
   * A tunnel packet for a tunnel this server does not have (it restarted, or erased the
   * tunnel): answer `03 00` so the client re-handshakes at once instead of waiting 120 s.
   * At most once per second per source, and only 2 bytes: never an amplifier.
   */
  private tellHandshakeFailed(address: string, port: number): void {
    const key = `${address}:${port}`;
    const now = this.clock.now();
    if (now - (this.lastFailureNotice.get(key) ?? Number.NEGATIVE_INFINITY) < 1_000) return;
    if (this.lastFailureNotice.size > 4096) this.lastFailureNotice.clear();
    this.lastFailureNotice.set(key, now);
    this.send(new Uint8Array([0x03, 0x00]), address, port);
    this.counters.add('handshake-failed notices sent');
  }

  private async onHandshake({ data, address, port }: Datagram): Promise<void> {
    const fields = parseHandshake(data);
    if (!fields.ok) {
      this.counters.drop(`handshake: ${fields.reason}`);
      return;
    }
    const replayEntry = this.replays.entryFor(fields.value.c0);
    if (this.replays.has(replayEntry, seconds(this.clock))) {
      this.counters.drop('handshake: replayed c0');
      return;
    }
    if (this.pendingHandshakes >= this.maxPending) {
      this.counters.drop('handshake: too many pending');
      return;
    }
    if (!this.handshakeLimiter.allow(address, this.clock.now())) {
      this.counters.drop('handshake: rate limit for the source address');
      return;
    }
    this.pendingHandshakes++;
    const { suite, keys } = this.options;
    const ephemerals = this.store.secretsNewestFirst(seconds(this.clock));
    const result = await respondToHandshake(suite.sym, suite.kem, data, keys, ephemerals).finally(
      () => {
        this.pendingHandshakes--;
      },
    );
    if (this.closed) return;
    if (!result.ok) {
      this.counters.drop(`handshake: ${result.reason}`);
      return;
    }
    const now = seconds(this.clock);
    if (this.replays.has(replayEntry, now)) {
      this.counters.drop('handshake: replayed c0');
      return;
    }
    this.replays.add(replayEntry, now);
    const { tid, initiatorRoot, responderRoot } = result.value.keys;
    const tunnel = new TunnelSession(suite.sym, tid, responderRoot, initiatorRoot, now);
    wipe(initiatorRoot, responderRoot);
    this.counters.add('handshakes accepted');
    this.admit(tunnel, { address, port }, 'handshake');
  }

  private onCookie({ data, address, port }: Datagram): void {
    const now = seconds(this.clock);
    const opened = openCookie(this.options.suite.sym, data, (timestamp) =>
      timestamp <= now + 30 && now - timestamp < 120 ? this.cookieChain.keyFor(timestamp) : null,
    );
    if (!opened.ok) {
      this.counters.drop(`cookie: ${opened.reason}`);
      return;
    }
    const stamp = data.subarray(8, 28);
    const stampEntry = this.cookieReplays.entryFor(stamp);
    if (this.cookieReplays.has(stampEntry, now) || this.byTunnel.has(opened.value.tid)) {
      this.counters.drop('cookie: replayed or tunnel active');
      return;
    }
    this.cookieReplays.add(stampEntry, now);
    const tunnel = TunnelSession.fromCookie(this.options.suite.sym, opened.value, now);
    wipe(opened.value.sendRoot, opened.value.receiveRoot);
    if (tunnel === null) {
      this.counters.drop('cookie: epoch space exhausted');
      return;
    }
    this.counters.add('cookies accepted');
    this.admit(tunnel, { address, port }, 'cookie');
  }

  /** Gives a new tunnel an address (offloading the least recently active one if full). */
  private admit(tunnel: TunnelSession, peer: { address: string; port: number }, via: string): void {
    if (this.byTunnel.size >= this.maxSessions) this.offloadLeastRecent();
    const internalAddress = this.byTunnel.size < this.maxSessions ? this.pool.allocate() : null;
    if (internalAddress === null) {
      tunnel.close();
      this.counters.drop('session: no address available');
      return;
    }
    const record = new ServerSessionRecord(
      this.tunnelHost,
      tunnel,
      peer,
      internalAddress,
      this.clock.now(),
    );
    const { id } = record;
    this.byTunnel.set(tunnel.tid, record);
    this.byAddress.set(internalAddress, record);
    this.enterEstablished(record);
    for (const early of this.earlyPackets.release(id)) this.onTunnelPacket(early);
    this.inner.flush();
    this.log(
      `tunnel ${id.slice(0, 16)} up via ${via}: peer ${peer.address}:${peer.port} is ${formatIpv4Address(internalAddress)}`,
    );
  }

  /**
   * The session chart with this engine's actions, made once (not a machine per session):
   * an action finds its tunnel by the actor it runs in.
   */
  private provideSessionMachine(): typeof serverSessionMachine {
    const recordOf = ({ self }: { self: unknown }) => this.recordByActor.get(self as object);
    return serverSessionMachine.provide({
      actions: {
        maintainTunnel: (args) => {
          const endpoint = recordOf(args)?.endpoint;
          if (endpoint !== undefined) this.keepAliveIfDue(endpoint, this.clock.now());
        },
        eraseTunnelKeys: (args) => recordOf(args)?.endpoint.close(),
        releaseAddress: (args) => {
          const record = recordOf(args);
          if (record !== undefined) this.forget(record);
        },
        sendCookie: (args) => {
          const record = recordOf(args);
          if (record !== undefined) this.sendCookie(record);
        },
      },
    });
  }

  /**
   * A new session's chart starts resting in its initial state, `established`: nothing runs
   * on entering it, so no actor is needed until the first event (a new tunnel costs no
   * actor, and many handshakes a second stay cheap). The state is published as an actor
   * would publish it; the tunnel is confirmed with a keepalive.
   */
  private enterEstablished(record: ServerSessionRecord): void {
    const context = record.restingContext();
    this.events.publish(record.id, 'serverSession', 'established', 'xstate.init', context);
    if (this.options.confirmHandshakes !== false) record.endpoint.sendKeepalive();
  }

  /** The session's running chart: a resting one is restored into `established`. */
  private wake(record: ServerSessionRecord): Actor<typeof serverSessionMachine> {
    if (record.actor !== null) return record.actor;
    const context = record.restingContext();
    const actor = createActor(this.sessionMachine, {
      clock: this.clock,
      inspect: this.events.inspector(record.id, 'serverSession', 'established'),
      snapshot: this.sessionMachine.resolveState({ value: 'established', context }),
      // Required by the types; a restored actor does not read it.
      input: { peer: context.peer, internalAddress: context.internalAddress, epoch: 0 },
    });
    record.actor = actor;
    this.recordByActor.set(actor, record);
    actor.start();
    return actor;
  }

  /** Hands one event to the session's chart, waking it; once no event is in hand, a chart
   * back in `established` rests as its context and its actor stops. */
  private tell(record: ServerSessionRecord, event: ServerSessionEvent): void {
    record.handling++;
    try {
      this.wake(record).send(event);
    } finally {
      record.handling--;
    }
    const { actor } = record;
    if (record.handling > 0 || actor === null) return;
    const snapshot = actor.getSnapshot();
    if (snapshot.status !== 'active' || !snapshot.matches('established')) return;
    record.roams = snapshot.context.roams;
    record.actor = null;
    actor.stop();
  }

  /** The sweep's visit: erase what expired, keep an active tunnel alive, end a dead one. */
  private maintain(record: ServerSessionRecord, now: number): void {
    const { endpoint } = record;
    if (!endpoint.isAlive(now / 1000)) this.tell(record, { type: 'TUNNEL_EXPIRED' });
    else this.keepAliveIfDue(endpoint, now);
  }

  private keepAliveIfDue(endpoint: TunnelEndpoint<ServerSessionRecord>, now: number): void {
    if (keepaliveDue(endpoint, now)) endpoint.sendKeepalive();
  }

  private sendCookie(record: ServerSessionRecord): void {
    const { endpoint } = record;
    const roots = endpoint.tunnel.cookieRoots();
    const now = seconds(this.clock);
    const key = this.cookieChain.keyFor(now);
    if (roots === null || key === null) {
      this.counters.drop('cookie: could not issue');
      return;
    }
    const cookie = sealCookie(
      this.options.suite.sym,
      key,
      this.cookieChain.nextNonce(),
      Math.floor(now),
      {
        tid: endpoint.tid,
        ...roots,
      },
    );
    wipe(roots.sendRoot, roots.receiveRoot);
    endpoint.transmit(cookie);
    this.counters.add('cookies issued');
  }

  private offloadLeastRecent(): void {
    let oldest: ServerSessionRecord | undefined;
    for (const record of this.byTunnel.values()) {
      if (oldest === undefined || record.endpoint.lastReceived < oldest.endpoint.lastReceived)
        oldest = record;
    }
    if (oldest === undefined) return;
    this.log(`address pool full: offloading tunnel ${oldest.id.slice(0, 16)} by cookie`);
    this.tell(oldest, { type: 'OFFLOAD' });
  }

  private forget(record: ServerSessionRecord): void {
    if (this.byTunnel.get(record.endpoint.tid) !== record) return;
    this.byTunnel.delete(record.endpoint.tid);
    this.byAddress.delete(record.internalAddress);
    this.pool.release(record.internalAddress);
    this.log(
      `tunnel ${record.id.slice(0, 16)} gone; ${formatIpv4Address(record.internalAddress)} released`,
    );
  }
}
