/**
 * Two engines on an in-memory network with virtual time: a server at 198.51.100.1 (keys
 * from the vectors, so no McEliece key generation) and a client at 192.0.2.1, plus
 * helpers to build DNS answers and inner IPv4/UDP packets.
 */
import { after } from 'node:test';
import dnsPacket from 'dns-packet';
import { fromHex } from '../../src/crypto/bytes.ts';
import type { CryptoSuite } from '../../src/crypto/suite.ts';
import { ClientEngine, type ClientEngineOptions } from '../../src/engine/client-engine.ts';
import { VirtualClock } from '../../src/engine/clock.ts';
import {
  type LinkConditions,
  MemoryNetwork,
  PERFECT_LINK,
  seededRandom,
} from '../../src/engine/memory-network.ts';
import { ServerEngine, type ServerEngineOptions } from '../../src/engine/server-engine.ts';
import {
  readUdpIpv4Packet,
  type UdpDatagramFields,
  udpIpv4Packet,
} from '../../src/engine/udp-packets.ts';
import { formatPq1Label } from '../../src/protocol/names.ts';
import type { DatagramTransport } from '../../src/shared/transport.ts';
import { suiteFor } from './suites.ts';
import { loadVectorBinary, loadVectors } from './vectors.ts';

export const SERVER_ADDRESS = '198.51.100.1';
export const CLIENT_ADDRESS = '192.0.2.1';

const pktree = loadVectors<{ root: string; x25519_pk: string; x25519_sk: string }>('pktree.json');

export const VECTOR_SERVER_KEYS = {
  mceliecePk: loadVectorBinary('mceliece_pk.bin'),
  mcelieceSk: loadVectorBinary('mceliece_sk.bin'),
  x25519Pk: fromHex(pktree.x25519_pk),
  x25519Sk: fromHex(pktree.x25519_sk),
  sessionKey: new Uint8Array(32).fill(0x5e),
};
export const VECTOR_PKH = fromHex(pktree.root);

/** Deterministic randomness for reproducible runs. */
export function seededBytes(seed: number): (length: number) => Uint8Array {
  const next = seededRandom(seed);
  return (length) => Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

export interface Pair {
  suite: CryptoSuite;
  /** The server's crypto-port transport (to send as the server in tests). */
  serverCrypto: DatagramTransport;
  serverKey: DatagramTransport;
  ports: { crypto: number; key: number };
  seed: number;
  clock: VirtualClock;
  network: MemoryNetwork;
  server: ServerEngine;
  client: ClientEngine;
  pq1Name: string;
  serverLog: string[];
  clientLog: string[];
}

export function createPair(
  backend: 'fast' | 'portable',
  {
    conditions = PERFECT_LINK,
    client = {},
    server = {},
    ports = { crypto: 42424, key: 42425 },
    seed = 7,
  }: {
    conditions?: LinkConditions;
    client?: Partial<ClientEngineOptions>;
    server?: Partial<ServerEngineOptions>;
    ports?: { crypto: number; key: number } | null;
    seed?: number;
  } = {},
): Pair {
  const clock = new VirtualClock();
  const suite = suiteFor(backend, clock);
  const network = new MemoryNetwork(clock, conditions, seededRandom(seed));
  const serverLog: string[] = [];
  const clientLog: string[] = [];
  const serverCrypto = network.bind(SERVER_ADDRESS, ports?.crypto ?? 42424);
  const serverKey = network.bind(SERVER_ADDRESS, ports?.key ?? 42425);
  const serverEngine = new ServerEngine({
    suite,
    keys: VECTOR_SERVER_KEYS,
    cryptoTransport: serverCrypto,
    keyTransport: serverKey,
    clock,
    random: seededBytes(seed + 1),
    log: (m) => serverLog.push(m),
    ...server,
  });
  const clientEngine = new ClientEngine({
    suite,
    transport: network.bind(CLIENT_ADDRESS, 42423),
    clock,
    random: seededBytes(seed + 2),
    log: (m) => clientLog.push(m),
    ...client,
  });
  const pq1Name = `${formatPq1Label(VECTOR_PKH, ports ?? undefined)}.demo.test`;
  const pair: Pair = {
    suite,
    clock,
    network,
    server: serverEngine,
    serverCrypto,
    serverKey,
    ports: { crypto: ports?.crypto ?? 42424, key: ports?.key ?? 42425 },
    seed,
    client: clientEngine,
    pq1Name,
    serverLog,
    clientLog,
  };
  after(() => {
    pair.client.close();
    pair.server.close();
  });
  return pair;
}

/** Kills the server: engine closed, its ports unbound; nothing answers any more. */
export function killServer(pair: Pair): void {
  pair.server.close();
  pair.serverCrypto.close();
  pair.serverKey.close();
}

/**
 * Kills the server and starts a new one on the same address, ports and long-term keys
 * (a restart: every tunnel and ephemeral key is gone). Resolves once it serves keys.
 */
export async function restartServer(
  pair: Pair,
  options: Partial<ServerEngineOptions> = {},
): Promise<ServerEngine> {
  killServer(pair);
  pair.serverCrypto = pair.network.bind(SERVER_ADDRESS, pair.ports.crypto);
  pair.serverKey = pair.network.bind(SERVER_ADDRESS, pair.ports.key);
  pair.server = new ServerEngine({
    suite: pair.suite,
    keys: VECTOR_SERVER_KEYS,
    cryptoTransport: pair.serverCrypto,
    keyTransport: pair.serverKey,
    clock: pair.clock,
    random: seededBytes(pair.seed + 50),
    log: (m) => pair.serverLog.push(m),
    ...options,
  });
  await pair.server.ready();
  return pair.server;
}

/** Another client engine on the same network (for tests with several clients). */
export function addClient(
  pair: Pair,
  address: string,
  seed = 99,
  options: Partial<ClientEngineOptions> = {},
): ClientEngine {
  const engine = new ClientEngine({
    suite: pair.suite,
    transport: pair.network.bind(address, 42423),
    clock: pair.clock,
    random: seededBytes(seed),
    ...options,
  });
  after(() => engine.close());
  return engine;
}

export function dnsAnswer(
  question: string,
  chain: { cname?: string; owner: string; address: string },
  id = 1,
): Uint8Array {
  const answers: dnsPacket.Answer[] = [];
  if (chain.cname !== undefined)
    answers.push({ type: 'CNAME', name: question, ttl: 300, data: chain.cname });
  answers.push({ type: 'A', name: chain.owner, ttl: 300, data: chain.address });
  return new Uint8Array(
    dnsPacket.encode({
      type: 'response',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: question }],
      answers,
    }),
  );
}

export function decodeAnswerAddresses(
  bytes: Uint8Array,
): { name: string; address: string; ttl: number }[] {
  const packet = dnsPacket.decode(Buffer.from(bytes));
  return (packet.answers ?? [])
    .filter((a) => a.type === 'A')
    .map((a) => ({
      name: a.name,
      address: String((a as { data: unknown }).data),
      ttl: (a as { ttl?: number }).ttl ?? -1,
    }));
}

/** A UDP/IPv4 packet with valid checksums (positional form of udpIpv4Packet). */
export function udpPacket(
  source: string,
  destination: string,
  sourcePort: number,
  destinationPort: number,
  payload: Uint8Array,
): Uint8Array {
  return udpIpv4Packet({ source, destination, sourcePort, destinationPort, payload });
}

export function udpPayload(packet: Uint8Array): UdpDatagramFields {
  const fields = readUdpIpv4Packet(packet);
  if (fields === null) throw new Error('not a UDP/IPv4 packet');
  return fields;
}

/** Makes the server answer every inner UDP packet with "echo:" + payload, swapping addresses. */
export function echoOnServer(server: ServerEngine): void {
  server.innerPackets.subscribe((packet) => {
    const { source, destination, payload } = udpPayload(packet);
    const reply = udpPacket(
      destination,
      source,
      7,
      7,
      new Uint8Array([...new TextEncoder().encode('echo:'), ...payload]),
    );
    server.sendInner(reply);
  });
}

/** Server options that behave as the deployed server does: never `03 00`, drops data
 * that overtakes its handshake, sends nothing on a new tunnel until it has data. */
export const DEPLOYED_LIKE_SERVER: Partial<ServerEngineOptions> = {
  noticeUnknownTunnels: false,
  holdEarlyData: false,
  confirmHandshakes: false,
};

/**
 * The pair's crypto suite with decapsulation that takes `delayMs` of virtual time after
 * the real computation, as a responder that finishes handshakes in threads does: data
 * that follows a handshake closely arrives while it is still pending.
 */
export function slowResponderSuite(pair: Pair, delayMs: number): CryptoSuite {
  const kem = pair.suite.kem;
  return {
    ...pair.suite,
    kem: {
      ...kem,
      decapsulate: async (name, ciphertext, secretKey) => {
        const secret = await kem.decapsulate(name, ciphertext, secretKey);
        await new Promise<void>((resolve) => pair.clock.setTimeout(resolve, delayMs));
        return secret;
      },
    },
  };
}
