/**
 * What the client engine keeps per server: the facts the data plane and the key fetch
 * need (addresses, ports, keys, the tunnel, liveness, counters), and the embedder's view
 * of it (`ClientSessionInfo`), which carries no key material.
 */
import type { Actor } from 'xstate';
import type { clientSessionMachine } from '../actors/client-session.ts';
import { equalBytes } from '../crypto/bytes.ts';
import type { EphemeralKeyResponse } from '../protocol/keyserver-messages.ts';
import type { KeyTreeAssembler } from '../protocol/keytree-assembler.ts';
import type { Pq1Announcement } from '../protocol/names.ts';
import type { TunnelSession } from '../protocol/tunnel-session.ts';
import type { SessionDataPlane } from '../streams/data-policy.ts';
import type { EarlyDataResend } from './early-data.ts';
import type { KeepaliveTimes } from './keepalive.ts';
import type { KeyServerEndpoint } from './key-fetch.ts';
import type { PeerLiveness } from './liveness.ts';
import type { PrekeyCache } from './prekey-cache.ts';

interface TrafficCounts {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ClientPeer extends KeepaliveTimes, TrafficCounts {
  id: string;
  name: string;
  /** The name the application asked for (display and logs). */
  askedName: string;
  strict: boolean;
  announcement: Pq1Announcement;
  realAddress: string;
  internalAddress: number;
  cryptoPort: number;
  keyServer: KeyServerEndpoint;
  hasPorts: boolean;
  assembler: KeyTreeAssembler;
  staticKeys: { mceliecePk: Uint8Array; x25519Pk: Uint8Array } | null;
  prekeys: PrekeyCache | null;
  ephemeral: EphemeralKeyResponse | null;
  /** The last ephemeral answer seen from the key server, and when (forgery detection). */
  lastEphemeralSeen: { keys: EphemeralKeyResponse; at: number } | null;
  keyServerRttMs: number | null;
  tunnel: TunnelSession | null;
  tunnelId: string | null;
  pendingCookie: Uint8Array | null;
  /** The last handshake sent, kept (it is public) to resend until confirmed. */
  handshakeMessage: Uint8Array | null;
  awaitingConfirmation: boolean;
  handshakeStartedAt: number | null;
  lastHandshakeAt: number | null;
  /** When the static-key download began, and how long it took once verified. */
  staticKeyStartedAt: number | null;
  staticKeyMs: number | null;
  /** A tunnel was established before (the static-key time is logged with the first). */
  establishedBefore: boolean;
  lastHandshakeMs: number | null;
  earlyData: EarlyDataResend;
  liveness: PeerLiveness;
  actor: Actor<typeof clientSessionMachine>;
  dataPlane: SessionDataPlane;
  sendEpoch: number;
  receiveEpoch: number;
  /** When the session entered its current state. */
  since: number;
}

export interface ClientSessionInfo extends TrafficCounts {
  id: string;
  /** The pq1 name that announced the server. */
  name: string;
  /** The name the application asked for in DNS (or given to connect()). */
  askedName: string;
  /** Where its tunnel packets go: real address and crypto port. */
  endpoint: string;
  tunnelId: string | null;
  state: unknown;
  since: number;
  realAddress: string;
  internalAddress: string;
  sendEpoch: number | null;
  receiveEpoch: number | null;
  lastHandshakeAt: number | null;
  /** How long the static key took to download and verify (null before). */
  staticKeyMs: number | null;
  lastHandshakeMs: number | null;
  lastAuthenticatedReceive: number | null;
  fallbackReason: string | null;
  lastError: string | null;
}

export function describePeer(peer: ClientPeer, internalAddress: string): ClientSessionInfo {
  const snapshot = peer.actor.getSnapshot();
  const lastAuthenticated = peer.liveness.lastAuthenticated;
  return {
    id: peer.id,
    name: peer.name,
    askedName: peer.askedName,
    endpoint: `${peer.realAddress}:${peer.cryptoPort}`,
    tunnelId: peer.tunnelId,
    state: snapshot.value,
    since: peer.since,
    realAddress: peer.realAddress,
    internalAddress,
    sendEpoch: peer.tunnel?.sendEpoch ?? null,
    receiveEpoch: peer.tunnel?.receiveEpoch ?? null,
    lastHandshakeAt: peer.lastHandshakeAt,
    lastHandshakeMs: peer.lastHandshakeMs,
    staticKeyMs: peer.staticKeyMs,
    lastAuthenticatedReceive: Number.isFinite(lastAuthenticated) ? lastAuthenticated : null,
    packetsIn: peer.packetsIn,
    packetsOut: peer.packetsOut,
    bytesIn: peer.bytesIn,
    bytesOut: peer.bytesOut,
    fallbackReason: snapshot.context.fallbackReason,
    lastError: snapshot.context.lastError,
  };
}

export function sameEphemeralKeys(a: EphemeralKeyResponse, b: EphemeralKeyResponse): boolean {
  return equalBytes(a.ekemPk, b.ekemPk) && equalBytes(a.x25519Pk, b.x25519Pk);
}
