/**
 * What a server holds for one tunnel. Its session chart runs as an actor only while it
 * handles an event; in between, an established session rests as its chart context
 * (`resting`), restored into `established` by the next event. A tunnel in the server's
 * tables is sealing: its chart is in `established` or `rekeying`, and every final state
 * removes it. Made once per handshake and held by the 100,000: nothing here is stored
 * twice (the id is the tunnel's, written out only when asked for).
 */
import type { Actor } from 'xstate';
import type { ServerSessionContext, serverSessionMachine } from '../actors/server-session.ts';
import { toHex } from '../crypto/bytes.ts';
import type { TunnelSession } from '../protocol/tunnel-session.ts';
import {
  newTrafficCounts,
  type PeerAddress,
  type TrafficCounts,
  TunnelEndpoint,
  type TunnelHost,
} from './tunnel-endpoint.ts';

export class ServerSessionRecord {
  readonly endpoint: TunnelEndpoint<ServerSessionRecord>;
  readonly traffic: TrafficCounts = newTrafficCounts();
  actor: Actor<typeof serverSessionMachine> | null = null;
  resting: ServerSessionContext | null = null;
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
    this.endpoint = new TunnelEndpoint(host, {
      owner: this,
      tunnel,
      peer: { address: peer.address, port: peer.port },
      peerInnerAddress: internalAddress,
      traffic: this.traffic,
    });
  }

  /** The tunnel id in hex: the session's name in logs, status and the event bus. */
  get id(): string {
    return toHex(this.endpoint.tid);
  }
}
