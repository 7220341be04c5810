/**
 * The embeddable PQConnect client: discovers servers in DNS answers, fetches and caches
 * their keys, runs one session actor per server and carries inner packets through the
 * tunnels, over one injected datagram transport (the client port) with injected clock,
 * randomness and TXT resolver. Inner packets for a server's internal address go in
 * through `sendInner`; packets from servers come out of `innerPackets`; plain-fallback
 * decisions come out of `routeRequests` (the daemon turns them into NAT rules) and, for
 * embedders without NAT, the packets themselves out of `plainPackets`.
 *
 * Only authenticated tunnel packets confirm a handshake or count as a sign of life; a
 * `03 00` is a hint handled by the session chart (docs/session-rules.md). Every timer and
 * background computation belongs to a session or the engine and ends with `close()`.
 */
import { randomBytes } from 'node:crypto';
import { Subject, type Subscription } from 'rxjs';
import { type Actor, createActor, fromPromise } from 'xstate';
import { clientSessionMachine } from '../actors/client-session.ts';
import { errorText } from '../actors/error-text.ts';
import { staticKeyDownloadMachine } from '../actors/static-key-download.ts';
import { toHex, wipe } from '../crypto/bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import { initiateHandshake } from '../protocol/handshake.ts';
import {
  type CheckedIpv4Packet,
  formatIpv4Address,
  type InnerChecksums,
  parseIpv4Address,
  rewriteInnerPacket,
  sourceOf,
} from '../protocol/ipv4.ts';
import { type KeyResponse, parseKeyResponse } from '../protocol/keyserver-messages.ts';
import { KeyTreeAssembler } from '../protocol/keytree-assembler.ts';
import type { Pq1Announcement } from '../protocol/names.ts';
import { formatPq1Label } from '../protocol/names.ts';
import { TunnelSession } from '../protocol/tunnel-session.ts';
import { type EngineClock, seconds, systemClock } from '../shared/clock.ts';
import { Counters } from '../shared/counters.ts';
import {
  closableSender,
  type Datagram,
  type DatagramBatch,
  type DatagramTransport,
  type TxtResolver,
} from '../shared/transport.ts';
import { BatchOutlet } from '../streams/batch-outlet.ts';
import { classifyDatagram } from '../streams/classify.ts';
import { policyStream, SessionDataPlane } from '../streams/data-policy.ts';
import {
  type Discovery,
  describeDiscovery,
  isDnsRewriteFailure,
  type RewriteResult,
  rewriteDnsAnswer,
} from '../streams/dns-rewrite.ts';
import { routeInnerRuns } from '../streams/inner-route.ts';
import { DEFAULT_TRANSFER_OPTIONS, type TransferOptions } from '../streams/key-transfer.ts';
import { TunnelIndex } from '../streams/tunnel-index.ts';
import { AddressPool } from './address-pool.ts';
import {
  type ClientPeer,
  type ClientSessionInfo,
  describePeer,
  keyServerOf,
  type RouteRequest,
  sameEphemeralKeys,
} from './client-peer.ts';
import { CLIENT_ENGINE_COUNTERS } from './counter-catalogues.ts';
import { detach } from './detached.ts';
import { EarlyDataResend } from './early-data.ts';
import { keepaliveDue } from './keepalive.ts';
import {
  abortError,
  fetchEphemeralKeys,
  type KeyFetchContext,
  type KeyServerEndpoint,
  type SourcedKeyResponse,
  transferLevel,
} from './key-fetch.ts';
import {
  FORGERY_MEMORY_MS,
  forgeryRecent,
  newLiveness,
  noteAuthenticated,
  noteDataSent,
  peerUnresponsive,
  probeAnswered,
  reconnectAllowed,
} from './liveness.ts';
import type { EngineLog, LogLevel } from './log.ts';
import { resolveServerPorts } from './port-lookup.ts';
import { PrekeyCache } from './prekey-cache.ts';
import { SessionEventBus } from './session-events.ts';
import {
  newTrafficCounts,
  sealBufferFor,
  TunnelEndpoint,
  type TunnelHost,
} from './tunnel-endpoint.ts';

export type { ClientSessionInfo, RouteRequest } from './client-peer.ts';

/** A byte count as the log shows it: `1.0 MB`. */
function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export interface ClientEngineOptions {
  suite: CryptoSuite;
  transport: DatagramTransport;
  clock?: EngineClock;
  random?: (length: number) => Uint8Array;
  /** TXT lookups for servers whose pq1 label carries no ports. */
  resolver?: TxtResolver;
  /** Our own tunnel address; servers get the others of its /prefixLength. */
  tunnelAddress?: string;
  prefixLength?: number;
  /** Never fall back to plain traffic for any server. */
  strict?: boolean;
  /** Deliver inner packets to this address instead of tunnelAddress (client-in-a-bottle). */
  hostAddress?: string;
  prekeys?: number;
  queueLimit?: number;
  handshakeAttempts?: number;
  initialBackoffMs?: number;
  transfer?: TransferOptions;
  /** 'partial': inner TCP/UDP packets come out of innerPackets with only the pseudo-header
   * sum in their checksum, for a TUN device with virtio-net headers that completes it
   * (default 'complete': every checksum valid). */
  innerChecksums?: InnerChecksums;
  log?: EngineLog;
}

/** Two different ephemeral answers in one 30 s slot: one of them is forged. */
const EPHEMERAL_SLOT_MS = 30_000;

const defaultRandom = (length: number) => new Uint8Array(randomBytes(length));

const toDataPlane = (peer: ClientPeer, run: readonly CheckedIpv4Packet[]) =>
  peer.dataPlane.send(run);

export class ClientEngine {
  readonly counters = new Counters(CLIENT_ENGINE_COUNTERS);
  readonly events: SessionEventBus;
  private readonly inner = new BatchOutlet<Uint8Array>();
  private readonly plain = new Subject<Uint8Array>();
  private readonly routes = new Subject<RouteRequest>();
  private readonly keyResponses = new Subject<SourcedKeyResponse>();
  /** Inner packets from servers, one batch per batch of datagrams read. */
  readonly innerBatches = this.inner.batches;
  /** The same packets one at a time. */
  readonly innerPackets = this.inner.items;
  readonly plainPackets = this.plain.asObservable();
  readonly routeRequests = this.routes.asObservable();

  private readonly clock: EngineClock;
  private readonly random: (length: number) => Uint8Array;
  private readonly pool: AddressPool;
  private readonly peers = new Map<string, ClientPeer>();
  private readonly byAddress = new Map<number, ClientPeer>();
  private readonly byTunnel = new TunnelIndex<ClientPeer>();
  private readonly subscription: Subscription;
  private readonly keyFetch: KeyFetchContext;
  /** Addresses handed out in a DNS answer whose session is being created. */
  private readonly pendingAddresses = new Map<string, number>();
  private closed = false;
  /** Every datagram the engine sends goes here: nothing leaves after close(). */
  private readonly send: (data: Uint8Array, address: string, port: number) => void;
  /** What all of this engine's tunnel endpoints share. */
  private readonly tunnelHost: TunnelHost<ClientPeer>;

  constructor(private readonly options: ClientEngineOptions) {
    this.send = closableSender(
      options.transport,
      () => this.closed,
      () => this.counters.drop('send after close'),
    );
    this.clock = options.clock ?? systemClock;
    this.events = new SessionEventBus(this.clock);
    this.random = options.random ?? defaultRandom;
    this.pool = new AddressPool(options.tunnelAddress ?? '10.43.0.1', options.prefixLength ?? 16);
    this.tunnelHost = {
      roaming: 'refuse',
      deliverTo:
        options.hostAddress === undefined
          ? this.pool.ownAddress
          : parseIpv4Address(options.hostAddress),
      innerChecksums: options.innerChecksums ?? 'complete',
      clock: this.clock,
      counters: this.counters,
      send: this.send,
      sealBuffer: sealBufferFor(options.transport),
      epochsAdvanced: (peer, sendEpoch, receiveEpoch) =>
        peer.actor.send({ type: 'EPOCH_ADVANCED', sendEpoch, receiveEpoch }),
      authenticated: (peer, now, carriesData) => {
        noteAuthenticated(peer.liveness, now, carriesData);
        if (peer.awaitingConfirmation) this.confirmed(peer, now);
      },
    };
    this.keyFetch = {
      clock: this.clock,
      responses: this.keyResponses.asObservable(),
      send: (data, address, port) => this.send(data, address, port),
      counters: this.counters,
      noteForgery: (server) => this.noteForgery(server, 'key-tree node that does not verify'),
    };
    this.subscription = options.transport.datagrams.subscribe((batch) => this.onDatagrams(batch));
    this.log(
      `client engine up: tunnel address ${options.tunnelAddress ?? '10.43.0.1'}, crypto backend ${options.suite.backend}`,
    );
  }

  /**
   * Rewrites one DNS answer for local applications and starts a session for every newly
   * announced server. Malformed DNS passes through untouched.
   */
  rewriteDnsAnswer(bytes: Uint8Array): RewriteResult {
    const result = rewriteDnsAnswer(bytes, {
      internalAddressFor: (announcement) => this.addressFor(announcement),
      isTunnelAddress: (address) => this.pool.contains(address),
    });
    if (result.passReason === 'malformed DNS message')
      this.counters.drop('dns: malformed answer passed through');
    else if (isDnsRewriteFailure(result.passReason))
      this.counters.drop(`dns: ${result.passReason}, original passed through`);
    for (const discovery of result.discoveries) this.discovered(discovery);
    this.releasePendingAddresses();
    return result;
  }

  /** Starts (or reuses) a session to a server without DNS; returns its internal address. */
  connect(
    announcement: Pq1Announcement,
    realAddress: string,
    name = 'direct',
    strict = false,
  ): string | null {
    const internalAddress = this.addressFor(announcement);
    if (internalAddress === null) return null;
    this.discovered({ announcement, name, askedName: name, realAddress, internalAddress, strict });
    this.releasePendingAddresses();
    return internalAddress;
  }

  /** Inner IPv4 packets from local applications (a TUN read), each to a server's internal
   * address. */
  sendInnerBatch(packets: readonly Uint8Array[]): void {
    routeInnerRuns(packets, this.byAddress, toDataPlane, this.counters);
  }

  /** One inner IPv4 packet from a local application. */
  sendInner(packet: Uint8Array): void {
    this.sendInnerBatch([packet]);
  }

  /** The name the application asked for, of the session with this id (as in transitions). */
  askedName(sessionId: string): string | undefined {
    return this.peers.get(sessionId)?.askedName;
  }

  sessions(): ClientSessionInfo[] {
    return [...this.peers.values()].map((p) =>
      describePeer(p, formatIpv4Address(p.internalAddress)),
    );
  }

  /** Tears a session's tunnel down and drops its packets until `reconnect`; false if unknown. */
  disconnect(nameOrAddress: string): boolean {
    const peer = this.findPeer(nameOrAddress);
    peer?.actor.send({ type: 'DISCONNECT' });
    return peer !== undefined;
  }

  /** Starts a fresh handshake now (retries and backoff reset); false if unknown. */
  reconnect(nameOrAddress: string): boolean {
    const peer = this.findPeer(nameOrAddress);
    peer?.actor.send({ type: 'RECONNECT' });
    return peer !== undefined;
  }

  /** The session actor for a server (by internal address), for observers and tests. */
  sessionActor(internalAddress: string): Actor<typeof clientSessionMachine> | undefined {
    return this.byAddress.get(parseIpv4Address(internalAddress))?.actor;
  }

  /** Prekeys cached for a server (by internal address). */
  prekeyCount(internalAddress: string): number {
    return this.byAddress.get(parseIpv4Address(internalAddress))?.prekeys?.size ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) {
      peer.actor.send({ type: 'CLOSE', reason: 'client shutdown' });
      peer.actor.stop();
      peer.dataPlane.close();
      peer.prekeys?.close();
      peer.earlyData.cancel();
    }
    this.subscription.unsubscribe();
    this.inner.complete();
    for (const subject of [this.plain, this.routes, this.keyResponses]) subject.complete();
    this.events.close();
    this.log('client engine closed');
  }

  private log(message: string, level: LogLevel = 'info'): void {
    this.options.log?.(message, level);
  }

  private findPeer(nameOrAddress: string): ClientPeer | undefined {
    for (const peer of this.peers.values()) {
      if (peer.name === nameOrAddress || formatIpv4Address(peer.internalAddress) === nameOrAddress)
        return peer;
    }
    return undefined;
  }

  /** The internal address of a server: stable per pkh, allocated on first sight. */
  private addressFor(announcement: Pq1Announcement): string | null {
    const id = toHex(announcement.pkh);
    const known = this.peers.get(id)?.internalAddress ?? this.pendingAddresses.get(id);
    if (known !== undefined) return formatIpv4Address(known);
    const address = this.pool.allocate();
    if (address === null) {
      this.counters.drop('dns: no internal address left');
      return null;
    }
    this.pendingAddresses.set(id, address);
    return formatIpv4Address(address);
  }

  /** Addresses allocated for an answer that then started no session go back to the pool. */
  private releasePendingAddresses(): void {
    for (const address of this.pendingAddresses.values()) this.pool.release(address);
    this.pendingAddresses.clear();
  }

  private discovered(discovery: Discovery): void {
    const id = toHex(discovery.announcement.pkh);
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      if (existing.server.address !== discovery.realAddress)
        this.moveServer(existing, discovery.realAddress);
      return;
    }
    const internalAddress =
      this.pendingAddresses.get(id) ?? parseIpv4Address(discovery.internalAddress);
    this.pendingAddresses.delete(id);
    this.log(`discovered ${describeDiscovery(discovery)}`);
    const ports = discovery.announcement.ports;
    const now = this.clock.now();
    const peer = {
      id,
      name: discovery.name,
      askedName: discovery.askedName,
      strict: discovery.strict || this.options.strict === true,
      announcement: discovery.announcement,
      server: { address: discovery.realAddress, port: ports?.crypto ?? DEFAULT_CRYPTO_PORT },
      internalAddress,
      keyServerAddress: null,
      keyPort: ports?.key ?? DEFAULT_KEY_PORT,
      hasPorts: ports !== undefined || this.options.resolver === undefined,
      assembler: new KeyTreeAssembler(this.options.suite.sym, discovery.announcement.pkh),
      staticKeys: null,
      prekeys: null,
      ephemeral: null,
      lastEphemeralSeen: null,
      keyServerRttMs: null,
      tunnel: null,
      traffic: newTrafficCounts(),
      plainRoute: null,
      handshakeMessage: null,
      awaitingConfirmation: false,
      handshakeStartedAt: null,
      lastHandshakeAt: null,
      lastHandshakeMs: null,
      staticKeyStartedAt: null,
      staticKeyMs: null,
      establishedBefore: false,
      earlyData: new EarlyDataResend(this.clock),
      liveness: newLiveness(),
      since: now,
    } as ClientPeer;
    peer.actor = this.createSessionActor(peer);
    peer.dataPlane = new SessionDataPlane(
      policyStream(peer.actor),
      {
        seal: (packet) => this.sealInner(peer, packet),
        plain: (packet) => this.sendPlain(peer, packet),
        drop: (reason) => this.counters.drop(`outbound: ${reason}`),
        firstQueued: () => peer.actor.send({ type: 'TRAFFIC_WAITING' }),
        sealingQueued: (packets) => this.keepEarlyData(peer, packets),
      },
      this.options.queueLimit ?? 64,
    );
    let lastState = '';
    peer.actor.subscribe({
      next: (snapshot) => {
        const state = JSON.stringify(snapshot.value);
        if (state === lastState) return;
        lastState = state;
        peer.since = this.clock.now();
      },
      error: () => this.counters.drop('session: actor error'),
    });
    this.peers.set(id, peer);
    this.byAddress.set(internalAddress, peer);
    peer.actor.start();
  }

  private createSessionActor(peer: ClientPeer): Actor<typeof clientSessionMachine> {
    const transferOptions = this.options.transfer ?? DEFAULT_TRANSFER_OPTIONS;
    const download = staticKeyDownloadMachine.provide({
      actors: {
        transferLevel: fromPromise<void, { depth: number }>(async ({ input, signal }) => {
          peer.staticKeyStartedAt ??= this.clock.now();
          await transferLevel(
            this.keyFetch,
            keyServerOf(peer),
            peer.assembler,
            input.depth,
            transferOptions,
            signal,
          );
          const { verified, total } = peer.assembler.progress;
          this.log(
            `${peer.askedName}: static key level ${input.depth} received, ${verified} of ${total} nodes verified, ${this.clock.now() - peer.staticKeyStartedAt} ms so far`,
          );
        }),
      },
    });
    const machine = clientSessionMachine.provide({
      actors: {
        resolvePorts: fromPromise(({ signal }) => this.resolvePorts(peer, signal)),
        staticKeyDownload: download,
        fetchEphemeralKey: fromPromise(({ signal }) => this.fetchEphemeral(peer, signal)),
        sendHandshake: fromPromise(({ signal }) =>
          this.sendHandshake(peer, signal).catch((error: unknown) => {
            if (!signal.aborted) this.counters.drop('handshake: computation failed');
            throw error;
          }),
        ),
      },
      actions: {
        maintainTunnel: () => this.maintain(peer),
        resendHandshake: () => this.resendHandshake(peer),
        sendProbe: () => this.sendProbe(peer),
        eraseTunnel: () => this.dropTunnel(peer),
        requestPlainRoute: ({ context }) => {
          this.log(
            `${peer.askedName}: PLAIN FALLBACK to ${peer.server.address} — ${context.fallbackReason}; PQ retried in ${Math.round(context.backoffMs / 1000)} s`,
            'warn',
          );
          this.addPlainRoute(peer);
        },
        removePlainRoute: () => this.removePlainRoute(peer),
        reportRefusedFallback: ({ context }) =>
          this.log(
            `${peer.askedName}: ${context.lastError}; PQ retried in ${Math.round(context.backoffMs / 1000)} s`,
            'warn',
          ),
        reportLivenessLoss: ({ context }) => {
          peer.liveness.lastReconnectAt = this.clock.now();
          this.counters.add('liveness: new handshakes');
          this.log(`${peer.askedName}: ${context.lastError}; new handshake`, 'warn');
        },
      },
      guards: {
        tunnelDead: () => peer.tunnel === null || !peer.tunnel.isAlive(seconds(this.clock)),
        peerUnresponsive: () => peerUnresponsive(peer.liveness, this.clock.now()),
        probeAnswered: () => probeAnswered(peer.liveness),
        noticeReconnectAllowed: () => reconnectAllowed(peer.liveness, this.clock.now()),
        forgedAnswersSeen: () => forgeryRecent(peer.liveness, this.clock.now()),
      },
    });
    return createActor(machine, {
      clock: this.clock,
      inspect: this.events.inspector(peer.id, 'clientSession'),
      input: {
        name: peer.name,
        realAddress: peer.server.address,
        internalAddress: formatIpv4Address(peer.internalAddress),
        strict: peer.strict,
        hasPorts: peer.hasPorts,
        hasStaticKey: false,
        maxHandshakeAttempts: this.options.handshakeAttempts ?? 3,
        initialBackoffMs: this.options.initialBackoffMs ?? 10_000,
      },
    });
  }

  private addPlainRoute(peer: ClientPeer): void {
    if (peer.plainRoute !== null) return;
    peer.plainRoute = {
      action: 'add',
      internalAddress: formatIpv4Address(peer.internalAddress),
      plainAddress: peer.server.address,
    };
    this.routes.next(peer.plainRoute);
  }

  /** Removes the route exactly as it was added, even if the server has moved since. */
  private removePlainRoute(peer: ClientPeer): void {
    if (peer.plainRoute === null) return;
    this.routes.next({ ...peer.plainRoute, action: 'remove' });
    peer.plainRoute = null;
  }

  /**
   * DNS now gives another real address for this server: its tunnel packets, key server
   * (unless TXT named one), the chart's context and any plain route follow it.
   */
  private moveServer(peer: ClientPeer, address: string): void {
    this.log(`${peer.askedName}: real address now ${address}`);
    peer.server.address = address;
    peer.actor.send({ type: 'SERVER_MOVED', address });
    if (peer.plainRoute !== null) {
      this.removePlainRoute(peer);
      this.addPlainRoute(peer);
    }
  }

  private async resolvePorts(peer: ClientPeer, signal: AbortSignal): Promise<void> {
    const resolver = this.options.resolver;
    if (resolver === undefined) return;
    const found = await resolveServerPorts(resolver, peer.name);
    if (signal.aborted || this.closed) throw abortError();
    peer.server.port = found.cryptoPort;
    peer.keyServerAddress = found.keyServerAddress ?? null;
    peer.keyPort = found.keyPort;
    peer.hasPorts = true;
    const keyServer = keyServerOf(peer);
    this.log(
      `${peer.askedName}: crypto port ${found.cryptoPort}, key server ${keyServer.address}:${keyServer.port}`,
    );
  }

  private async fetchEphemeral(peer: ClientPeer, signal: AbortSignal): Promise<void> {
    peer.handshakeStartedAt = this.clock.now();
    peer.lastEphemeralSeen = null;
    const fetched = await fetchEphemeralKeys(this.keyFetch, keyServerOf(peer), { signal });
    peer.ephemeral = fetched.keys;
    peer.keyServerRttMs = fetched.rttMs;
  }

  private staticKeysOf(peer: ClientPeer): { mceliecePk: Uint8Array; x25519Pk: Uint8Array } {
    if (peer.staticKeys === null) {
      peer.staticKeys = peer.assembler.publicKeys();
      peer.prekeys = new PrekeyCache(
        this.options.suite.kem,
        peer.staticKeys.mceliecePk,
        this.options.prekeys ?? 32,
        (error) => {
          this.counters.drop('prekeys: encapsulation failed');
          this.log(`${peer.askedName}: prekey encapsulation failed: ${errorText(error)}`, 'warn');
        },
      );
      detach(peer.prekeys.refill(), this.counters, 'prekeys: refill failed');
      peer.staticKeyMs =
        peer.staticKeyStartedAt === null ? null : this.clock.now() - peer.staticKeyStartedAt;
      this.log(
        `${peer.askedName}: static key verified, ${megabytes(peer.staticKeys.mceliecePk.length)} in ${peer.staticKeyMs} ms (${peer.assembler.progress.total} nodes)`,
      );
    }
    return peer.staticKeys;
  }

  private async sendHandshake(peer: ClientPeer, signal: AbortSignal): Promise<void> {
    const { suite } = this.options;
    const staticKeys = this.staticKeysOf(peer);
    const ephemeral = peer.ephemeral;
    if (ephemeral === null) throw new Error('no ephemeral key');
    const prekey = await peer.prekeys!.take();
    if (signal.aborted || this.closed) {
      wipe(prekey.k0);
      throw abortError();
    }
    const result = await initiateHandshake(
      suite.sym,
      suite.kem,
      prekey,
      { x25519Pk: staticKeys.x25519Pk, ekemPk: ephemeral.ekemPk, ex25519Pk: ephemeral.x25519Pk },
      this.random,
    );
    wipe(prekey.k0);
    if (result === null) throw new Error('handshake: low-order X25519 key');
    const { tid, initiatorRoot, responderRoot } = result.keys;
    if (signal.aborted || this.closed) {
      wipe(initiatorRoot, responderRoot);
      throw abortError();
    }
    this.dropTunnel(peer);
    const tunnel = new TunnelSession(
      suite.sym,
      tid,
      initiatorRoot,
      responderRoot,
      seconds(this.clock),
    );
    wipe(initiatorRoot, responderRoot);
    peer.tunnel = this.endpointFor(peer, tunnel);
    peer.liveness.firstUnansweredSend = null;
    peer.awaitingConfirmation = true;
    this.byTunnel.set(tunnel.tid, peer);
    peer.handshakeMessage = result.message;
    this.send(result.message, peer.server.address, peer.server.port);
    this.counters.add('handshakes sent');
    this.log(
      `${peer.askedName}: handshake sent (tunnel ${toHex(tid.subarray(0, 8))}), ${peer.prekeys!.size} prekeys left`,
    );
  }

  private endpointFor(peer: ClientPeer, tunnel: TunnelSession): TunnelEndpoint<ClientPeer> {
    return new TunnelEndpoint(this.tunnelHost, {
      owner: peer,
      tunnel,
      peer: peer.server,
      peerInnerAddress: peer.internalAddress,
      traffic: peer.traffic,
    });
  }

  /** The handshake or its confirmation may have been lost: send both again. */
  private resendHandshake(peer: ClientPeer): void {
    if (peer.handshakeMessage === null || peer.tunnel === null) return;
    this.send(peer.handshakeMessage, peer.server.address, peer.server.port);
    peer.tunnel.sendKeepalive();
    this.counters.add('handshakes resent');
  }

  /** A `03 00` arrived for an established tunnel: ask the server for an authenticated sign of life. */
  private sendProbe(peer: ClientPeer): void {
    if (peer.tunnel === null) return;
    peer.liveness.probeSentAt = this.clock.now();
    peer.tunnel.sendKeepalive();
    this.counters.add('liveness: probes sent');
  }

  /** The first packets of a fresh tunnel: sent once more if nothing answered them. */
  private keepEarlyData(peer: ClientPeer, packets: readonly CheckedIpv4Packet[]): void {
    if (!peer.awaitingConfirmation || peer.tunnel === null) return;
    const tunnel = peer.tunnel;
    peer.earlyData.keep(
      packets,
      peer.keyServerRttMs,
      (sentAt) => peer.liveness.lastAuthenticated >= sentAt,
      (early) => {
        if (this.closed || peer.tunnel !== tunnel) return;
        for (const packet of early) this.sealInner(peer, packet);
        this.counters.add('early data resent', early.length);
      },
    );
  }

  private dropTunnel(peer: ClientPeer): void {
    if (peer.tunnel !== null) this.byTunnel.delete(peer.tunnel.tid);
    peer.earlyData.cancel();
    peer.tunnel?.close();
    peer.tunnel = null;
    peer.handshakeMessage = null;
    peer.awaitingConfirmation = false;
  }

  private maintain(peer: ClientPeer): void {
    if (peer.tunnel === null) return;
    if (!peer.tunnel.isAlive(seconds(this.clock))) return;
    if (keepaliveDue(peer.tunnel, this.clock.now())) peer.tunnel.sendKeepalive();
  }

  private sealInner(peer: ClientPeer, packet: CheckedIpv4Packet): void {
    if (peer.tunnel === null) {
      this.counters.drop('outbound: tunnel not ready');
      return;
    }
    peer.tunnel.sealInner(packet);
    noteDataSent(peer.liveness, this.clock.now());
  }

  private sendPlain(peer: ClientPeer, packet: CheckedIpv4Packet): void {
    const rewritten = rewriteInnerPacket(
      packet,
      sourceOf(packet),
      parseIpv4Address(peer.server.address),
    );
    if (!rewritten.ok) {
      this.counters.drop(`outbound: ${rewritten.reason}`);
      return;
    }
    this.counters.add('plain packets');
    this.plain.next(rewritten.value);
  }

  private onDatagrams(batch: DatagramBatch): void {
    for (const datagram of batch) {
      if (this.closed) return;
      this.onDatagram(datagram);
    }
    this.inner.flush();
  }

  private onDatagram(datagram: Datagram): void {
    switch (classifyDatagram(datagram)) {
      case 'tunnel':
        this.onTunnelPacket(datagram);
        return;
      case 'key-response': {
        const parsed = parseKeyResponse(datagram.data);
        if (!parsed.ok) {
          this.counters.drop(`key response: ${parsed.reason}`);
          return;
        }
        this.checkEphemeralAnswer(datagram, parsed.value);
        this.keyResponses.next({
          response: parsed.value,
          address: datagram.address,
          port: datagram.port,
        });
        return;
      }
      case 'handshake-failed':
        this.onFailureNotice(datagram);
        return;
      default:
        this.counters.drop('client port: unexpected message type');
    }
  }

  /**
   * A key server hands out one ephemeral key per 30 s slot: two different answers from
   * one server within one fetch-and-handshake cycle and one slot mean somebody forges
   * them, and a handshake failure that follows must not lead to plaintext. (A server that
   * restarted between two cycles has a new key for the same slot: that is not compared.)
   */
  private checkEphemeralAnswer({ address, port }: Datagram, response: KeyResponse): void {
    if (response.kind !== 'ephemeral') return;
    const now = this.clock.now();
    const slot = Math.floor(now / EPHEMERAL_SLOT_MS);
    for (const peer of this.peers.values()) {
      const keyServer = keyServerOf(peer);
      if (keyServer.address !== address || keyServer.port !== port) continue;
      const previous = peer.lastEphemeralSeen;
      if (
        previous !== null &&
        Math.floor(previous.at / EPHEMERAL_SLOT_MS) === slot &&
        !sameEphemeralKeys(previous.keys, response)
      )
        this.noteForgery(keyServer, 'two different ephemeral keys in one slot');
      peer.lastEphemeralSeen = { keys: response, at: now };
    }
  }

  private noteForgery(server: KeyServerEndpoint, what: string): void {
    const now = this.clock.now();
    for (const peer of this.peers.values()) {
      const keyServer = keyServerOf(peer);
      if (keyServer.address !== server.address || keyServer.port !== server.port) continue;
      if (!Number.isFinite(peer.liveness.forgeryAt))
        this.log(
          `${peer.askedName}: forged key-server answer (${what}); plain fallback disabled for ${FORGERY_MEMORY_MS / 1000} s`,
          'warn',
        );
      peer.liveness.forgeryAt = now;
    }
    this.counters.add('forged key-server answers');
  }

  /** An unauthenticated `03 00`: a hint for the session chart, never a decision. */
  private onFailureNotice({ address, port }: Datagram): void {
    let matched = false;
    for (const peer of this.peers.values()) {
      if (peer.server.address === address && peer.server.port === port) {
        matched = true;
        peer.actor.send({ type: 'FAILURE_NOTICE' });
      }
    }
    if (matched) this.counters.add('handshake-failed notices received');
    else this.counters.drop('handshake-failed notice from an unknown address');
  }

  private onTunnelPacket({ data, address, port }: Datagram): void {
    const peer = this.byTunnel.forPacket(data);
    const tunnel = peer?.tunnel ?? null;
    if (peer === undefined || tunnel === null) {
      this.counters.drop('tunnel: unknown tunnel id');
      return;
    }
    const received = tunnel.receive(data, address, port);
    switch (received.kind) {
      case 'packet':
        this.inner.push(received.packet);
        return;
      case 'cookie':
        tunnel.returnCookie(received.cookie.slice());
        this.counters.add('cookies received');
        this.log(`${peer.askedName}: server offloaded the tunnel; cookie kept`);
        return;
      case 'keepalive':
      case 'dropped':
        return;
    }
  }

  private confirmed(peer: ClientPeer, now: number): void {
    peer.awaitingConfirmation = false;
    peer.lastEphemeralSeen = null;
    peer.lastHandshakeAt = now;
    peer.lastHandshakeMs = peer.handshakeStartedAt === null ? null : now - peer.handshakeStartedAt;
    peer.actor.send({ type: 'HANDSHAKE_CONFIRMED' });
    const firstKey =
      peer.staticKeyMs !== null && peer.staticKeys !== null && !peer.establishedBefore
        ? ` (static key ${megabytes(peer.staticKeys.mceliecePk.length)} in ${peer.staticKeyMs} ms)`
        : '';
    peer.establishedBefore = true;
    this.log(
      `${peer.askedName} (${formatPq1Label(peer.announcement.pkh).slice(0, 16)}…): tunnel established in ${peer.lastHandshakeMs} ms${firstKey}`,
    );
  }
}
