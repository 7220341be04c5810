/**
 * The package's public API (`import … from 'pqconnect'`): the two session engines, the
 * crypto backends, transports and clocks to inject, server keys and pq1 names, and inner
 * UDP packet helpers. The visualizer's live server is `pqconnect/viz`. Everything else
 * under dist/ is internal and may change between versions.
 */
export { type BackendChoice, type CryptoSuite, createCryptoSuite } from './crypto/suite.ts';
export {
  ClientEngine,
  type ClientEngineOptions,
  type ClientSessionInfo,
  type RouteRequest,
} from './engine/client-engine.ts';
export { VirtualClock } from './engine/clock.ts';
export { type LinkConditions, MemoryNetwork, PERFECT_LINK } from './engine/memory-network.ts';
export {
  ServerEngine,
  type ServerEngineOptions,
  type ServerSessionInfo,
} from './engine/server-engine.ts';
export { generateServerKeys, serverPq1Label } from './engine/server-keys.ts';
export type { SessionTransition } from './engine/session-events.ts';
export {
  readUdpIpv4Packet,
  type UdpDatagramFields,
  udpIpv4Packet,
} from './engine/udp-packets.ts';
export { readServerKeys, writeServerKeys } from './io/key-files.ts';
export { openUdpTransport, type UdpTransport } from './io/udp-transport.ts';
export { formatPq1Label, type Pq1Announcement, parsePq1Name } from './protocol/names.ts';
export { type EngineClock, systemClock } from './shared/clock.ts';
export type { ServerKeys } from './shared/keys.ts';
export type { Datagram, DatagramTransport, TxtResolver } from './shared/transport.ts';
