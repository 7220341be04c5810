/**
 * One tunnel's data plane, shared by both engines: it seals inner packets (destination
 * zeroed) and keepalives to the peer, opens the peer's packets (the inner addresses
 * rewritten and checksums repaired), reports epoch changes to the session chart, and
 * keeps the tunnel's traffic counts and keepalive times. The chart decides what may be
 * sent; the endpoint only carries it. Where the peer is lives in one `PeerAddress`
 * object that the owner shares with the endpoint: the server's endpoint follows a peer
 * that roams (authenticated packets only), the client's refuses packets from elsewhere.
 * What an engine's endpoints have in common lives once, in its `TunnelHost`; an endpoint
 * keeps only what is its own (a server holds 100,000 of them).
 */
import {
  type CheckedIpv4Packet,
  clearDestination,
  type InnerChecksums,
  REWRITE_FAILURES,
  rewriteInnerPacket,
} from '../protocol/ipv4.ts';
import { tunnelPacketLength } from '../protocol/tunnel-packet.ts';
import { OPEN_FAILURES, type TunnelSession } from '../protocol/tunnel-session.ts';
import type { EngineClock } from '../shared/clock.ts';
import { catalogue, prefixed, type SinkFor } from '../shared/counters.ts';
import type { KeepaliveTimes } from './keepalive.ts';

export const TUNNEL_ENDPOINT_COUNTERS = catalogue({
  counts: ['cookies returned', 'keepalives received'],
  drops: [
    'tunnel: packet from an unexpected address',
    ...prefixed('tunnel: ', OPEN_FAILURES),
    ...prefixed('inner packet: ', REWRITE_FAILURES),
  ],
});

/** Where a peer's tunnel packets go (and, on a client, the only place they may come from). */
export interface PeerAddress {
  address: string;
  port: number;
}

/** Packets and inner bytes each way; may outlive one tunnel (a client peer's totals). */
export interface TrafficCounts {
  packetsIn: number;
  packetsOut: number;
  /** Inner bytes (decrypted payloads); keepalives count as packets only. */
  bytesIn: number;
  bytesOut: number;
}

/** A seal buffer for every packet an engine may send (the largest IPv4 packet, sealed). */
export function sealBufferFor(transport: { copiesOnSend?: boolean }): Uint8Array | undefined {
  return transport.copiesOnSend === true ? new Uint8Array(tunnelPacketLength(65_535)) : undefined;
}

export function newTrafficCounts(): TrafficCounts {
  return { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
}

/** What an authenticated tunnel packet carried, or that it was dropped (and counted). */
export type Received =
  | { kind: 'packet'; packet: Uint8Array }
  | { kind: 'keepalive' }
  | { kind: 'cookie'; cookie: Uint8Array }
  | { kind: 'dropped' };

/** What every tunnel of one engine shares (made once per engine, not per tunnel): where
 * sealed packets go, the engine's clock and counters, and whom to tell of a tunnel's
 * events — each told which tunnel's `owner` it concerns. */
export interface TunnelHost<Owner> {
  /** 'follow': authenticated packets from a new address move the peer (server);
   * 'refuse': packets from anywhere else are dropped unopened (client). */
  roaming: 'follow' | 'refuse';
  /** The destination address received inner packets get (this side's own). */
  deliverTo: number;
  /** 'partial': TCP/UDP checksums of received packets left for the TUN device to finish. */
  innerChecksums: InnerChecksums;
  clock: EngineClock;
  counters: SinkFor<typeof TUNNEL_ENDPOINT_COUNTERS>;
  send(data: Uint8Array, address: string, port: number): void;
  /** Where to seal, when `send` is done with its data on return (a transport that copies);
   * otherwise every packet is sealed into a new buffer. */
  sealBuffer: Uint8Array | undefined;
  epochsAdvanced(owner: Owner, sendEpoch: number, receiveEpoch: number): void;
  roamed?(owner: Owner, peer: PeerAddress): void;
  /** Every packet that authenticated, before its epochs are reported (client liveness). */
  authenticated?(owner: Owner, now: number, carriesData: boolean): void;
}

/** What one tunnel's endpoint is made of. */
export interface TunnelEndpointParts<Owner> {
  /** What the host's callbacks are told about (the engine's record of this session). */
  owner: Owner;
  tunnel: TunnelSession;
  peer: PeerAddress;
  /** The source address received inner packets get (the peer's address on this side). */
  peerInnerAddress: number;
  traffic: TrafficCounts;
}

const EMPTY = new Uint8Array(0);
const DROPPED: Received = { kind: 'dropped' };
const KEEPALIVE: Received = { kind: 'keepalive' };

export class TunnelEndpoint<Owner = unknown> implements KeepaliveTimes {
  readonly owner: Owner;
  readonly tunnel: TunnelSession;
  readonly peer: PeerAddress;
  private readonly peerInnerAddress: number;
  private readonly traffic: TrafficCounts;
  lastSent = 0;
  lastReceived: number;
  lastInnerTraffic: number;
  private noticedSendEpoch: number;
  private noticedReceiveEpoch: number;
  /** A cookie from the server, sent back before the next tunnel packet (client). */
  private cookieToReturn: Uint8Array | null = null;

  constructor(
    private readonly host: TunnelHost<Owner>,
    parts: TunnelEndpointParts<Owner>,
  ) {
    this.owner = parts.owner;
    this.tunnel = parts.tunnel;
    this.peer = parts.peer;
    this.peerInnerAddress = parts.peerInnerAddress;
    this.traffic = parts.traffic;
    const now = host.clock.now();
    this.lastReceived = now;
    this.lastInnerTraffic = now;
    this.noticedSendEpoch = this.tunnel.sendEpoch;
    this.noticedReceiveEpoch = this.tunnel.receiveEpoch;
  }

  get tid(): Uint8Array {
    return this.tunnel.tid;
  }

  get sendEpoch(): number {
    return this.tunnel.sendEpoch;
  }

  get receiveEpoch(): number {
    return this.tunnel.receiveEpoch;
  }

  isAlive(nowSeconds: number): boolean {
    return this.tunnel.isAlive(nowSeconds);
  }

  /** Seals a routed inner IPv4 packet to the peer (its destination goes out as 0.0.0.0). */
  sealInner(packet: CheckedIpv4Packet): void {
    clearDestination(packet);
    this.lastInnerTraffic = this.host.clock.now();
    this.transmit(packet);
  }

  sendKeepalive(): void {
    this.transmit(EMPTY);
  }

  /** Seals any plaintext (a keepalive is empty; a cookie is one) and sends it. */
  transmit(plaintext: Uint8Array): void {
    const { peer, host, traffic } = this;
    if (this.cookieToReturn !== null) {
      host.send(this.cookieToReturn, peer.address, peer.port);
      host.counters.add('cookies returned');
      this.cookieToReturn = null;
    }
    const now = host.clock.now();
    const buffer = host.sealBuffer;
    const sealed =
      buffer !== undefined && tunnelPacketLength(plaintext.length) <= buffer.length
        ? this.tunnel.sealInto(buffer, plaintext, now / 1000)
        : this.tunnel.seal(plaintext, now / 1000);
    this.lastSent = now;
    traffic.packetsOut++;
    traffic.bytesOut += plaintext.length;
    host.send(sealed, peer.address, peer.port);
    this.noticeEpochs();
  }

  /** Keeps a cookie the server sent, to return before the next packet of this tunnel. */
  returnCookie(cookie: Uint8Array): void {
    this.cookieToReturn = cookie;
  }

  /** Opens one tunnel packet from `address:port`; everything not authenticated is dropped. */
  receive(data: Uint8Array, address: string, port: number): Received {
    const { peer, host, traffic } = this;
    const elsewhere = peer.address !== address || peer.port !== port;
    if (elsewhere && host.roaming === 'refuse') {
      host.counters.drop('tunnel: packet from an unexpected address');
      return DROPPED;
    }
    const now = host.clock.now();
    const result = this.tunnel.open(data, now / 1000);
    if (!result.ok) {
      host.counters.drop(`tunnel: ${result.reason}`);
      return DROPPED;
    }
    traffic.packetsIn++;
    this.lastReceived = now;
    if (elsewhere) {
      peer.address = address;
      peer.port = port;
      host.roamed?.(this.owner, peer);
    }
    host.authenticated?.(this.owner, now, result.kind === 'data' && result.plaintext.length > 0);
    this.noticeEpochs();
    if (result.kind === 'cookie') return { kind: 'cookie', cookie: result.cookie };
    if (result.plaintext.length === 0) {
      host.counters.add('keepalives received');
      return KEEPALIVE;
    }
    traffic.bytesIn += result.plaintext.length;
    const rewritten = rewriteInnerPacket(
      result.plaintext,
      this.peerInnerAddress,
      host.deliverTo,
      host.innerChecksums,
    );
    if (!rewritten.ok) {
      host.counters.drop(`inner packet: ${rewritten.reason}`);
      return DROPPED;
    }
    this.lastInnerTraffic = now;
    return { kind: 'packet', packet: rewritten.value };
  }

  /** Erases the tunnel's keys; nothing can be sealed or opened afterwards. */
  close(): void {
    this.cookieToReturn = null;
    this.tunnel.close();
  }

  private noticeEpochs(): void {
    const { sendEpoch, receiveEpoch } = this.tunnel;
    if (sendEpoch === this.noticedSendEpoch && receiveEpoch === this.noticedReceiveEpoch) return;
    this.noticedSendEpoch = sendEpoch;
    this.noticedReceiveEpoch = receiveEpoch;
    this.host.epochsAdvanced(this.owner, sendEpoch, receiveEpoch);
  }
}
