/**
 * The embeddable PQConnect client: discovers servers in DNS answers, fetches and caches
 * their keys, runs one session actor per server and carries inner packets through the
 * tunnels, over one injected datagram transport (the client port) with injected clock,
 * randomness and TXT resolver. Inner packets for a server's internal address go in
 * through `sendInner`; packets from servers come out of `innerPackets`; plain-fallback
 * decisions come out of `routeRequests` (the daemon turns them into NAT rules) and, for
 * embedders without NAT, the packets themselves out of `plainPackets`.
 */
import { randomBytes } from 'node:crypto';
import { Subject, type Subscription } from 'rxjs';
import { type Actor, createActor, fromPromise } from 'xstate';
import { clientSessionMachine } from '../actors/client-session.ts';
import { staticKeyDownloadMachine } from '../actors/static-key-download.ts';
import { toHex, wipe } from '../crypto/bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import { initiateHandshake } from '../protocol/handshake.ts';
import {
  formatIpv4Address,
  inspectIpv4,
  parseIpv4Address,
  rewriteInnerPacket,
  zeroDestination,
} from '../protocol/ipv4.ts';
import { type EphemeralKeyResponse, parseKeyResponse } from '../protocol/keyserver-messages.ts';
import { KeyTreeAssembler } from '../protocol/keytree-assembler.ts';
import type { Pq1Announcement } from '../protocol/names.ts';
import { TunnelSession } from '../protocol/tunnel-session.ts';
import { classifyDatagram, tunnelIdKey } from '../streams/classify.ts';
import { policyStream, SessionDataPlane } from '../streams/data-policy.ts';
import {
  type Discovery,
  describeDiscovery,
  type RewriteResult,
  rewriteDnsAnswer,
} from '../streams/dns-rewrite.ts';
import { routeInnerPacket } from '../streams/inner-route.ts';
import { DEFAULT_TRANSFER_OPTIONS, type TransferOptions } from '../streams/key-transfer.ts';
import { AddressPool } from './address-pool.ts';
import { type EngineClock, seconds, systemClock } from './clock.ts';
import { Counters } from './counters.ts';
import { type KeepaliveTimes, keepaliveDue } from './keepalive.ts';
import {
  fetchEphemeralKeys,
  type KeyFetchContext,
  type SourcedKeyResponse,
  transferLevel,
} from './key-fetch.ts';
import { resolveServerPorts } from './port-lookup.ts';
import { PrekeyCache } from './prekey-cache.ts';
import { SessionEventBus } from './session-events.ts';
import type { Datagram, DatagramTransport, TxtResolver } from './transport.ts';

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
  log?: (message: string) => void;
}

export interface RouteRequest {
  action: 'add' | 'remove';
  internalAddress: string;
  plainAddress: string;
}

export interface ClientSessionInfo {
  id: string;
  name: string;
  state: unknown;
  realAddress: string;
  internalAddress: string;
  packetsIn: number;
  packetsOut: number;
  sendEpoch: number | null;
  receiveEpoch: number | null;
}

interface Peer extends KeepaliveTimes {
  id: string;
  name: string;
  strict: boolean;
  announcement: Pq1Announcement;
  realAddress: string;
  internalAddress: number;
  cryptoPort: number;
  keyServer: { address: string; port: number };
  hasPorts: boolean;
  assembler: KeyTreeAssembler;
  staticKeys: { mceliecePk: Uint8Array; x25519Pk: Uint8Array } | null;
  prekeys: PrekeyCache | null;
  ephemeral: EphemeralKeyResponse | null;
  tunnel: TunnelSession | null;
  tunnelId: string | null;
  pendingCookie: Uint8Array | null;
  /** The last handshake sent, kept (it is public) to resend until confirmed. */
  handshakeMessage: Uint8Array | null;
  actor: Actor<typeof clientSessionMachine>;
  dataPlane: SessionDataPlane;
  sendEpoch: number;
  receiveEpoch: number;
  packetsIn: number;
  packetsOut: number;
}

const defaultRandom = (length: number) => new Uint8Array(randomBytes(length));

export class ClientEngine {
  readonly counters = new Counters();
  readonly events: SessionEventBus;
  private readonly inner = new Subject<Uint8Array>();
  private readonly plain = new Subject<Uint8Array>();
  private readonly routes = new Subject<RouteRequest>();
  private readonly keyResponses = new Subject<SourcedKeyResponse>();
  readonly innerPackets = this.inner.asObservable();
  readonly plainPackets = this.plain.asObservable();
  readonly routeRequests = this.routes.asObservable();

  private readonly clock: EngineClock;
  private readonly random: (length: number) => Uint8Array;
  private readonly pool: AddressPool;
  private readonly deliverTo: number;
  private readonly peers = new Map<string, Peer>();
  private readonly byAddress = new Map<number, Peer>();
  private readonly byTunnel = new Map<string, Peer>();
  private readonly subscription: Subscription;
  private readonly keyFetch: KeyFetchContext;
  /** Addresses handed out in a DNS answer whose session is being created. */
  private readonly pendingAddresses = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: ClientEngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.events = new SessionEventBus(this.clock);
    this.random = options.random ?? defaultRandom;
    this.pool = new AddressPool(options.tunnelAddress ?? '10.43.0.1', options.prefixLength ?? 16);
    this.deliverTo =
      options.hostAddress === undefined
        ? this.pool.ownAddress
        : parseIpv4Address(options.hostAddress);
    this.keyFetch = {
      clock: this.clock,
      responses: this.keyResponses.asObservable(),
      send: (data, address, port) => options.transport.send(data, address, port),
      counters: this.counters,
    };
    this.subscription = options.transport.datagrams.subscribe((d) => this.onDatagram(d));
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
    for (const discovery of result.discoveries) this.discovered(discovery);
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
    this.discovered({ announcement, name, realAddress, internalAddress, strict });
    return internalAddress;
  }

  /** An inner IPv4 packet from a local application to a server's internal address. */
  sendInner(packet: Uint8Array): void {
    routeInnerPacket(packet, this.byAddress, this.counters);
  }

  sessions(): ClientSessionInfo[] {
    return [...this.peers.values()].map((p) => ({
      id: p.id,
      name: p.name,
      state: p.actor.getSnapshot().value,
      realAddress: p.realAddress,
      internalAddress: formatIpv4Address(p.internalAddress),
      packetsIn: p.packetsIn,
      packetsOut: p.packetsOut,
      sendEpoch: p.tunnel?.sendEpoch ?? null,
      receiveEpoch: p.tunnel?.receiveEpoch ?? null,
    }));
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
      peer.dataPlane.close();
      peer.prekeys?.close();
    }
    this.subscription.unsubscribe();
    for (const subject of [this.inner, this.plain, this.routes, this.keyResponses])
      subject.complete();
    this.events.close();
    this.log('client engine closed');
  }

  private log(message: string): void {
    this.options.log?.(message);
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

  private discovered(discovery: Discovery): void {
    const id = toHex(discovery.announcement.pkh);
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      if (existing.realAddress !== discovery.realAddress) {
        this.log(`${existing.name}: real address now ${discovery.realAddress}`);
        existing.realAddress = discovery.realAddress;
      }
      return;
    }
    const internalAddress =
      this.pendingAddresses.get(id) ?? parseIpv4Address(discovery.internalAddress);
    this.pendingAddresses.delete(id);
    this.log(`discovered ${describeDiscovery(discovery)}`);
    const ports = discovery.announcement.ports;
    const peer = {
      id,
      name: discovery.name,
      strict: discovery.strict || this.options.strict === true,
      announcement: discovery.announcement,
      realAddress: discovery.realAddress,
      internalAddress,
      cryptoPort: ports?.crypto ?? DEFAULT_CRYPTO_PORT,
      keyServer: { address: discovery.realAddress, port: ports?.key ?? DEFAULT_KEY_PORT },
      hasPorts: ports !== undefined || this.options.resolver === undefined,
      assembler: new KeyTreeAssembler(this.options.suite.sym, discovery.announcement.pkh),
      staticKeys: null,
      prekeys: null,
      ephemeral: null,
      tunnel: null,
      tunnelId: null,
      pendingCookie: null,
      handshakeMessage: null,
      sendEpoch: 0,
      receiveEpoch: 0,
      packetsIn: 0,
      packetsOut: 0,
      lastSent: 0,
      lastReceived: 0,
      lastInnerTraffic: this.clock.now(),
    } as Peer;
    peer.actor = this.createSessionActor(peer);
    peer.dataPlane = new SessionDataPlane(
      policyStream(peer.actor),
      {
        seal: (packet) => this.sealAndSend(peer, packet),
        plain: (packet) => this.sendPlain(peer, packet),
        drop: (reason) => this.counters.drop(`outbound: ${reason}`),
        firstQueued: () => peer.actor.send({ type: 'TRAFFIC_WAITING' }),
      },
      this.options.queueLimit ?? 64,
    );
    this.peers.set(id, peer);
    this.byAddress.set(internalAddress, peer);
    peer.actor.start();
  }

  private createSessionActor(peer: Peer): Actor<typeof clientSessionMachine> {
    const transferOptions = this.options.transfer ?? DEFAULT_TRANSFER_OPTIONS;
    const download = staticKeyDownloadMachine.provide({
      actors: {
        transferLevel: fromPromise<void, { depth: number }>(({ input }) =>
          transferLevel(
            this.keyFetch,
            peer.keyServer,
            peer.assembler,
            input.depth,
            transferOptions,
          ),
        ),
      },
    });
    const machine = clientSessionMachine.provide({
      actors: {
        resolvePorts: fromPromise(() => this.resolvePorts(peer)),
        staticKeyDownload: download,
        fetchEphemeralKey: fromPromise(async () => {
          peer.ephemeral = await fetchEphemeralKeys(this.keyFetch, peer.keyServer);
        }),
        sendHandshake: fromPromise(() => this.sendHandshake(peer)),
      },
      actions: {
        maintainTunnel: () => this.maintain(peer),
        resendHandshake: () => this.resendHandshake(peer),
        eraseTunnel: () => this.dropTunnel(peer),
        requestPlainRoute: () => {
          this.log(
            `${peer.name}: PQ failed (${peer.actor.getSnapshot().context.lastError}); plain fallback`,
          );
          this.routes.next(this.routeRequest(peer, 'add'));
        },
        removePlainRoute: () => this.routes.next(this.routeRequest(peer, 'remove')),
      },
      guards: {
        tunnelDead: () => peer.tunnel === null || !peer.tunnel.isAlive(seconds(this.clock)),
      },
    });
    return createActor(machine, {
      clock: this.clock,
      inspect: this.events.inspector(peer.id, 'clientSession'),
      input: {
        name: peer.name,
        realAddress: peer.realAddress,
        internalAddress: formatIpv4Address(peer.internalAddress),
        strict: peer.strict,
        hasPorts: peer.hasPorts,
        hasStaticKey: false,
        maxHandshakeAttempts: this.options.handshakeAttempts ?? 3,
        initialBackoffMs: this.options.initialBackoffMs ?? 10_000,
      },
    });
  }

  private routeRequest(peer: Peer, action: 'add' | 'remove'): RouteRequest {
    return {
      action,
      internalAddress: formatIpv4Address(peer.internalAddress),
      plainAddress: peer.realAddress,
    };
  }

  private async resolvePorts(peer: Peer): Promise<void> {
    const resolver = this.options.resolver;
    if (resolver === undefined) return;
    const found = await resolveServerPorts(resolver, peer.name);
    peer.cryptoPort = found.cryptoPort;
    peer.keyServer = { address: found.keyServerAddress ?? peer.realAddress, port: found.keyPort };
    peer.hasPorts = true;
    this.log(
      `${peer.name}: crypto port ${found.cryptoPort}, key server ${peer.keyServer.address}:${found.keyPort}`,
    );
  }

  private staticKeysOf(peer: Peer): { mceliecePk: Uint8Array; x25519Pk: Uint8Array } {
    if (peer.staticKeys === null) {
      peer.staticKeys = peer.assembler.publicKeys();
      peer.prekeys = new PrekeyCache(
        this.options.suite.kem,
        peer.staticKeys.mceliecePk,
        this.options.prekeys ?? 32,
      );
      void peer.prekeys.refill().catch(() => this.counters.drop('prekeys: encapsulation failed'));
      this.log(`${peer.name}: static key verified (${peer.assembler.progress.total} nodes)`);
    }
    return peer.staticKeys;
  }

  private async sendHandshake(peer: Peer): Promise<void> {
    const { suite } = this.options;
    const staticKeys = this.staticKeysOf(peer);
    const ephemeral = peer.ephemeral;
    if (ephemeral === null) throw new Error('no ephemeral key');
    const prekey = await peer.prekeys!.take();
    const result = await initiateHandshake(
      suite.sym,
      suite.kem,
      prekey,
      { x25519Pk: staticKeys.x25519Pk, ekemPk: ephemeral.ekemPk, ex25519Pk: ephemeral.x25519Pk },
      this.random,
    );
    wipe(prekey.k0);
    if (result === null) throw new Error('handshake: low-order X25519 key');
    if (this.closed) return;
    this.dropTunnel(peer);
    const { tid, initiatorRoot, responderRoot } = result.keys;
    peer.tunnel = new TunnelSession(
      suite.sym,
      tid,
      initiatorRoot,
      responderRoot,
      seconds(this.clock),
    );
    wipe(initiatorRoot, responderRoot);
    peer.tunnelId = toHex(tid);
    peer.sendEpoch = 0;
    peer.receiveEpoch = 0;
    this.byTunnel.set(peer.tunnelId, peer);
    peer.handshakeMessage = result.message;
    this.options.transport.send(result.message, peer.realAddress, peer.cryptoPort);
    this.counters.add('handshakes sent');
    this.log(
      `${peer.name}: handshake sent (tunnel ${peer.tunnelId.slice(0, 16)}), ${peer.prekeys!.size} prekeys left`,
    );
  }

  /** The handshake or its confirmation may have been lost: send both again. */
  private resendHandshake(peer: Peer): void {
    if (peer.handshakeMessage === null || peer.tunnel === null) return;
    this.options.transport.send(peer.handshakeMessage, peer.realAddress, peer.cryptoPort);
    this.transmit(peer, new Uint8Array(0));
    this.counters.add('handshakes resent');
  }

  private dropTunnel(peer: Peer): void {
    if (peer.tunnelId !== null) this.byTunnel.delete(peer.tunnelId);
    peer.tunnel?.close();
    peer.tunnel = null;
    peer.tunnelId = null;
    peer.pendingCookie = null;
    peer.handshakeMessage = null;
  }

  private maintain(peer: Peer): void {
    if (peer.tunnel === null) return;
    if (!peer.tunnel.isAlive(seconds(this.clock))) return;
    if (keepaliveDue(peer, this.clock.now())) this.transmit(peer, new Uint8Array(0));
  }

  private sealAndSend(peer: Peer, packet: Uint8Array): void {
    if (peer.tunnel === null) {
      this.counters.drop('outbound: tunnel not ready');
      return;
    }
    const zeroed = zeroDestination(packet);
    if (!zeroed.ok) {
      this.counters.drop(`outbound: ${zeroed.reason}`);
      return;
    }
    peer.lastInnerTraffic = this.clock.now();
    this.transmit(peer, zeroed.value);
  }

  private transmit(peer: Peer, plaintext: Uint8Array): void {
    const tunnel = peer.tunnel!;
    if (peer.pendingCookie !== null) {
      this.options.transport.send(peer.pendingCookie, peer.realAddress, peer.cryptoPort);
      this.counters.add('cookies returned');
      peer.pendingCookie = null;
    }
    const now = this.clock.now();
    const sealed = tunnel.seal(plaintext, now / 1000);
    peer.lastSent = now;
    peer.packetsOut++;
    this.options.transport.send(sealed, peer.realAddress, peer.cryptoPort);
    this.noticeEpochs(peer);
  }

  private sendPlain(peer: Peer, packet: Uint8Array): void {
    const view = inspectIpv4(packet);
    if (!view.ok) {
      this.counters.drop(`outbound: ${view.reason}`);
      return;
    }
    const rewritten = rewriteInnerPacket(
      packet,
      view.value.source,
      parseIpv4Address(peer.realAddress),
    );
    if (!rewritten.ok) {
      this.counters.drop(`outbound: ${rewritten.reason}`);
      return;
    }
    this.counters.add('plain packets');
    this.plain.next(rewritten.value);
  }

  private noticeEpochs(peer: Peer): void {
    const tunnel = peer.tunnel;
    if (tunnel === null) return;
    const { sendEpoch, receiveEpoch } = tunnel;
    if (sendEpoch === peer.sendEpoch && receiveEpoch === peer.receiveEpoch) return;
    peer.sendEpoch = sendEpoch;
    peer.receiveEpoch = receiveEpoch;
    peer.actor.send({ type: 'EPOCH_ADVANCED', sendEpoch, receiveEpoch });
  }

  private onDatagram(datagram: Datagram): void {
    if (this.closed) return;
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
        this.keyResponses.next({
          response: parsed.value,
          address: datagram.address,
          port: datagram.port,
        });
        return;
      }
      case 'handshake-failed':
        this.onHandshakeFailed(datagram);
        return;
      default:
        this.counters.drop('client port: unexpected message type');
    }
  }

  private onHandshakeFailed({ address, port }: Datagram): void {
    for (const peer of this.peers.values()) {
      if (peer.realAddress === address && peer.cryptoPort === port)
        peer.actor.send({ type: 'PEER_FAILED' });
    }
  }

  private onTunnelPacket({ data, address, port }: Datagram): void {
    const key = tunnelIdKey(data);
    const peer = key === null ? undefined : this.byTunnel.get(key);
    if (peer === undefined || peer.tunnel === null) {
      this.counters.drop('tunnel: unknown tunnel id');
      return;
    }
    if (address !== peer.realAddress || port !== peer.cryptoPort) {
      this.counters.drop('tunnel: packet from an unexpected address');
      return;
    }
    const now = this.clock.now();
    const result = peer.tunnel.open(data, now / 1000);
    if (!result.ok) {
      this.counters.drop(`tunnel: ${result.reason}`);
      return;
    }
    peer.packetsIn++;
    peer.lastReceived = now;
    if (peer.actor.getSnapshot().matches('handshaking'))
      peer.actor.send({ type: 'HANDSHAKE_CONFIRMED' });
    this.noticeEpochs(peer);
    if (result.kind === 'cookie') {
      peer.pendingCookie = result.cookie.slice();
      this.counters.add('cookies received');
      this.log(`${peer.name}: server offloaded the tunnel; cookie kept`);
      return;
    }
    if (result.plaintext.length === 0) {
      this.counters.add('keepalives received');
      return;
    }
    const rewritten = rewriteInnerPacket(result.plaintext, peer.internalAddress, this.deliverTo);
    if (!rewritten.ok) {
      this.counters.drop(`inner packet: ${rewritten.reason}`);
      return;
    }
    peer.lastInnerTraffic = now;
    this.inner.next(rewritten.value);
  }
}
