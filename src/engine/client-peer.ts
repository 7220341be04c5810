/**
 * What the client engine keeps per server: the facts the data plane and the key fetch
 * need (addresses, ports, keys, the tunnel, liveness, counters), and the embedder's view
 * of it (`ClientSessionInfo`), which carries no key material.
 */
import type { Actor } from 'xstate';
import type { clientSessionMachine } from '../actors/client-session.ts';
import { equalBytes, toHex } from '../crypto/bytes.ts';
import type { EphemeralKeyResponse } from '../protocol/keyserver-messages.ts';
import type { KeyTreeAssembler } from '../protocol/keytree-assembler.ts';
import type { Pq1Announcement } from '../protocol/names.ts';
import type { SessionDataPlane } from '../streams/data-policy.ts';
import type { EarlyDataResend } from './early-data.ts';
import type { KeyServerEndpoint } from './key-fetch.ts';
import type { PeerLiveness } from './liveness.ts';
import type { PrekeyCache } from './prekey-cache.ts';
import type { PeerAddress, TrafficCounts, TunnelEndpoint } from './tunnel-endpoint.ts';

/** A plain-fallback route the daemon adds or removes (NAT from the internal to the real address). */
export interface RouteRequest {
  action: 'add' | 'remove';
  internalAddress: string;
  plainAddress: string;
}

export interface ClientPeer {
  id: string;
  name: string;
  /** The name the application asked for (display and logs). */
  askedName: string;
  strict: boolean;
  announcement: Pq1Announcement;
  /** The server's real address and crypto port: the one place they are kept (the
   * tunnel endpoint shares this object, so a DNS change moves its packets too). */
  server: PeerAddress;
  internalAddress: number;
  /** The key server's address when TXT names one; otherwise it is the real address. */
  keyServerAddress: string | null;
  keyPort: number;
  hasPorts: boolean;
  assembler: KeyTreeAssembler;
  staticKeys: { mceliecePk: Uint8Array; x25519Pk: Uint8Array } | null;
  prekeys: PrekeyCache | null;
  ephemeral: EphemeralKeyResponse | null;
  /** The last ephemeral answer seen from the key server, and when (forgery detection). */
  lastEphemeralSeen: { keys: EphemeralKeyResponse; at: number } | null;
  keyServerRttMs: number | null;
  tunnel: TunnelEndpoint<ClientPeer> | null;
  /** Totals over all of this server's tunnels. */
  traffic: TrafficCounts;
  /** The plain-fallback route in place, exactly as it was added (removed as it was). */
  plainRoute: RouteRequest | null;
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

/** Where a peer's key server is now (it follows the real address unless TXT named one). */
export function keyServerOf(peer: ClientPeer): KeyServerEndpoint {
  return { address: peer.keyServerAddress ?? peer.server.address, port: peer.keyPort };
}

export function describePeer(peer: ClientPeer, internalAddress: string): ClientSessionInfo {
  const snapshot = peer.actor.getSnapshot();
  const lastAuthenticated = peer.liveness.lastAuthenticated;
  return {
    id: peer.id,
    name: peer.name,
    askedName: peer.askedName,
    endpoint: `${peer.server.address}:${peer.server.port}`,
    tunnelId: peer.tunnel === null ? null : toHex(peer.tunnel.tid),
    state: snapshot.value,
    since: peer.since,
    realAddress: peer.server.address,
    internalAddress,
    sendEpoch: peer.tunnel?.sendEpoch ?? null,
    receiveEpoch: peer.tunnel?.receiveEpoch ?? null,
    lastHandshakeAt: peer.lastHandshakeAt,
    lastHandshakeMs: peer.lastHandshakeMs,
    staticKeyMs: peer.staticKeyMs,
    lastAuthenticatedReceive: Number.isFinite(lastAuthenticated) ? lastAuthenticated : null,
    ...peer.traffic,
    fallbackReason: snapshot.context.fallbackReason,
    lastError: snapshot.context.lastError,
  };
}

export function sameEphemeralKeys(a: EphemeralKeyResponse, b: EphemeralKeyResponse): boolean {
  return equalBytes(a.ekemPk, b.ekemPk) && equalBytes(a.x25519Pk, b.x25519Pk);
}
