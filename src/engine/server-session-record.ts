/**
 * What a server holds for one tunnel. Its session chart runs as an actor only while it
 * handles an event; in between (no actor) an established session rests: its chart context
 * is rebuilt from this record and its endpoint when the next event restores the chart into
 * `established` — only `roams` is the chart's own fact, kept here. A tunnel in the
 * server's tables is sealing: its chart is in `established` or `rekeying`, and every final
 * state removes it. Made once per handshake and held by the 100,000: nothing here is stored
 * twice (the id is the tunnel's, written out only when asked for; the record is its own
 * traffic count and peer address, which its endpoint updates).
 */
import type { Actor } from 'xstate';
import {
  initialServerSessionContext,
  type ServerSessionContext,
  type serverSessionMachine,
} from '../actors/server-session.ts';
import { toHex } from '../crypto/bytes.ts';
import { formatIpv4Address } from '../protocol/ipv4.ts';
import type { TunnelSession } from '../protocol/tunnel-session.ts';
import {
  type PeerAddress,
  type TrafficCounts,
  TunnelEndpoint,
  type TunnelHost,
} from './tunnel-endpoint.ts';

export class ServerSessionRecord implements TrafficCounts, PeerAddress {
  readonly endpoint: TunnelEndpoint<ServerSessionRecord>;
  /** Where the peer is now (its endpoint moves it when it roams). */
  address: string;
  port: number;
  packetsIn = 0;
  packetsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** The running chart, or null while the session rests in `established`. */
  actor: Actor<typeof serverSessionMachine> | null = null;
  /** The chart's count of roams, carried across rests. */
  roams = 0;
  /** Events being handled (nested sends from the chart's own actions): rest only at 0. */
  handling = 0;
  lastKeepaliveAnswer = Number.NEGATIVE_INFINITY;

  constructor(
    host: TunnelHost<ServerSessionRecord>,
    tunnel: TunnelSession,
    peer: PeerAddress,
    readonly internalAddress: number,
    /** When the handshake made this tunnel (ms). */
    readonly since: number,
  ) {
    this.address = peer.address;
    this.port = peer.port;
    this.endpoint = new TunnelEndpoint(host, {
      owner: this,
      tunnel,
      peer: this,
      peerInnerAddress: internalAddress,
      traffic: this,
    });
  }

  /** The tunnel id in hex: the session's name in logs, status and the event bus. */
  get id(): string {
    return toHex(this.endpoint.tid);
  }

  /** Where the peer is now, as address:port. */
  get peerText(): string {
    return `${this.address}:${this.port}`;
  }

  /** The chart's context while it rests in `established`, from the facts' one home each. */
  restingContext(): ServerSessionContext {
    const { sendEpoch, receiveEpoch } = this.endpoint;
    return {
      ...initialServerSessionContext({
        peer: this.peerText,
        internalAddress: formatIpv4Address(this.internalAddress),
        epoch: sendEpoch,
      }),
      receiveEpoch,
      roams: this.roams,
    };
  }
}
