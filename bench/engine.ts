/**
 * npm run bench:engine — the session engine on this machine:
 *   - server handshakes/s (fast and portable backends), handshakes from a loopback client;
 *   - cold connect (DNS answer → first inner packet answered, 1 MB key download included)
 *     and warm connect (cached key, prekeys) over loopback UDP;
 *   - inner packets/s through client and server engines over loopback UDP (64, 1200 B),
 *     on Node's dgram sockets and on the daemons' native ones (GSO sends, GRO receives);
 *   - the per-packet tunnel lookup (1,000 tunnels), ns;
 *   - opening a genuine and a forged 1,200-byte tunnel packet, µs (a forgery should cost
 *     no more than a genuine packet);
 *   - server memory per established session with 10,000 and 100,000 sessions.
 * Arguments pick sections (default all): handshakes, packets, lookup, forgery, memory.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { filter, firstValueFrom } from 'rxjs';
import { createNativeKem } from '../src/crypto/kem-native.ts';
import { createWasmKem } from '../src/crypto/kem-wasm.ts';
import type { CryptoSuite } from '../src/crypto/suite.ts';
import { nativeSymmetric } from '../src/crypto/symmetric-native.ts';
import { nobleSymmetric } from '../src/crypto/symmetric-noble.ts';
import { ClientEngine } from '../src/engine/client-engine.ts';
import { MemoryNetwork } from '../src/engine/memory-network.ts';
import { ServerEngine } from '../src/engine/server-engine.ts';
import { udpFdTransport } from '../src/io/fd-transports.ts';
import { nativeIo } from '../src/io/native-io.ts';
import { openUdpTransport } from '../src/io/udp-transport.ts';
import { TUNNEL_HEADER_BYTES } from '../src/protocol/constants.ts';
import { initiateHandshake } from '../src/protocol/handshake.ts';
import { encodeEphemeralKeyRequest, parseKeyResponse } from '../src/protocol/keyserver-messages.ts';
import { formatPq1Label } from '../src/protocol/names.ts';
import { encodeTunnelHeader } from '../src/protocol/tunnel-packet.ts';
import { TunnelSession } from '../src/protocol/tunnel-session.ts';
import { type EngineClock, systemClock } from '../src/shared/clock.ts';
import type { ServerKeys } from '../src/shared/keys.ts';
import type { DatagramTransport } from '../src/shared/transport.ts';
import { TunnelIndex } from '../src/streams/tunnel-index.ts';
import { decodeAnswerAddresses, dnsAnswer, udpPacket } from '../test/support/engine-harness.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
/** Packets in flight at most while measuring throughput (fits the default socket buffers). */
const WINDOW = 128;
/** Packets per sendInnerBatch (a daemon's TUN read hands over up to 256 at a time). */
const TUN_BATCH = 64;
const fastSuite: CryptoSuite = { backend: 'fast', sym: nativeSymmetric, kem: createNativeKem() };

async function serverKeys(): Promise<ServerKeys> {
  const { publicKey, secretKey } = await fastSuite.kem.keypair('mceliece6960119');
  const x25519Sk = random(32);
  return {
    mceliecePk: publicKey,
    mcelieceSk: secretKey,
    x25519Sk,
    x25519Pk: nativeSymmetric.x25519PublicKey(x25519Sk),
    sessionKey: random(32),
  };
}

/** `count` distinct client handshakes to a server (each with its own McEliece ciphertext). */
async function handshakeMessages(
  keys: ServerKeys,
  ephemeral: { ekemPk: Uint8Array; x25519Pk: Uint8Array },
  count: number,
): Promise<Uint8Array[]> {
  const messages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const { ciphertext, sharedSecret } = await fastSuite.kem.encapsulate(
      'mceliece6960119',
      keys.mceliecePk,
    );
    const server = {
      x25519Pk: keys.x25519Pk,
      ekemPk: ephemeral.ekemPk,
      ex25519Pk: ephemeral.x25519Pk,
    };
    const prekey = { c0: ciphertext, k0: sharedSecret };
    const result = await initiateHandshake(nativeSymmetric, fastSuite.kem, prekey, server, random);
    messages.push(result!.message);
  }
  return messages;
}

async function ephemeralOf(keyPort: number) {
  const probe = await openUdpTransport('127.0.0.1', 0);
  const reply = firstValueFrom(probe.datagrams);
  probe.send(encodeEphemeralKeyRequest(), '127.0.0.1', keyPort);
  const parsed = parseKeyResponse((await reply)[0]!.data);
  probe.close();
  if (!parsed.ok || parsed.value.kind !== 'ephemeral') throw new Error('no ephemeral key');
  return parsed.value;
}

type Sockets = 'dgram' | 'native';

/** A loopback UDP transport: Node's dgram, or the daemons' native socket with GSO and GRO. */
async function loopbackTransport(sockets: Sockets): Promise<DatagramTransport & { port: number }> {
  if (sockets === 'dgram') return openUdpTransport('127.0.0.1', 0);
  const socket = nativeIo().udpBind('127.0.0.1', 0, true);
  return { ...udpFdTransport(socket.fd, undefined, { segmentation: true }), port: socket.port };
}

async function handshakesPerSecond(
  suite: CryptoSuite,
  keys: ServerKeys,
  count: number,
  sockets: Sockets,
): Promise<number> {
  const crypto = await loopbackTransport(sockets);
  const keyPort = await loopbackTransport(sockets);
  const server = new ServerEngine({
    suite,
    keys,
    cryptoTransport: crypto,
    keyTransport: keyPort,
    handshakesPerSecond: Number.POSITIVE_INFINITY,
  });
  await server.ready();
  const ephemeral = await ephemeralOf(keyPort.port);
  const messages = await handshakeMessages(keys, ephemeral, count);
  const sender = await openUdpTransport('127.0.0.1', 0);
  const start = performance.now();
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  let sent = 0;
  while (server.counters.get('handshakes accepted') < count) {
    while (sent < count && sent - server.counters.get('handshakes accepted') < 32)
      sender.send(messages[sent++]!, '127.0.0.1', crypto.port);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const rate = (count * 1000) / (performance.now() - start);
  const cpu = process.cpuUsage(cpuBefore);
  const loop = performance.eventLoopUtilization(loopBefore);
  console.error(
    `  ${suite.backend}, ${sockets}: ${((loop.active * 1000) / count).toFixed(0)} µs of main thread and ${((cpu.user + cpu.system) / count).toFixed(0)} µs of CPU (all threads, the sender's included) per handshake`,
  );
  server.close();
  for (const t of [crypto, keyPort, sender]) t.close();
  return rate;
}

async function connectTimes(
  keys: ServerKeys,
  sockets: Sockets,
): Promise<{
  coldMs: number;
  warmMs: number;
  server: ServerEngine;
  client: ClientEngine;
  internal: string;
  close(): void;
}> {
  const crypto = await loopbackTransport(sockets);
  const keyPort = await loopbackTransport('dgram');
  const clientPort = await loopbackTransport(sockets);
  const server = new ServerEngine({
    suite: fastSuite,
    keys,
    cryptoTransport: crypto,
    keyTransport: keyPort,
  });
  const client = new ClientEngine({ suite: fastSuite, transport: clientPort, prekeys: 8 });
  server.innerPackets.pipe(filter((p) => p[23] === 7)).subscribe((p) => {
    const reply = p.slice();
    reply.set(p.subarray(16, 20), 12);
    reply.set(p.subarray(12, 16), 16);
    server.sendInner(reply);
  });
  await server.ready();
  const pq1 = `${formatPq1Label(server.tree.root, { crypto: crypto.port, key: keyPort.port })}.bench.test`;
  const send = (internal: string) =>
    client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, new Uint8Array(16)));
  let start = performance.now();
  const answer = client.rewriteDnsAnswer(
    dnsAnswer('www.bench.test', { cname: pq1, owner: pq1, address: '127.0.0.1' }),
  );
  const internal = decodeAnswerAddresses(answer.bytes)[0]!.address;
  let reply = firstValueFrom(client.innerPackets);
  send(internal);
  await reply;
  const coldMs = performance.now() - start;
  await new Promise((resolve) => setTimeout(resolve, 300));
  crypto.send(new Uint8Array([3, 0]), '127.0.0.1', clientPort.port);
  await new Promise((resolve) => setTimeout(resolve, 50));
  start = performance.now();
  reply = firstValueFrom(client.innerPackets);
  send(internal);
  await reply;
  const warmMs = performance.now() - start;
  return {
    coldMs,
    warmMs,
    server,
    client,
    internal,
    close: () => {
      client.close();
      server.close();
      for (const t of [crypto, keyPort, clientPort]) t.close();
    },
  };
}

async function packetsPerSecond(
  setup: Awaited<ReturnType<typeof connectTimes>>,
  size: number,
  count: number,
): Promise<number> {
  const packet = udpPacket('10.43.0.1', setup.internal, 5000, 9, new Uint8Array(size - 28));
  let delivered = 0;
  const subscription = setup.server.innerBatches.subscribe((batch) => {
    for (const p of batch) if (p.length === size) delivered++;
  });
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  let sent = 0;
  let lastProgress = start;
  let lastDelivered = 0;
  while (delivered < count && performance.now() - lastProgress < 500) {
    // As the daemon's TUN reads hand them over: up to TUN_BATCH packets at a time.
    while (sent < count && sent - delivered < WINDOW) {
      const room = Math.min(TUN_BATCH, count - sent, WINDOW - (sent - delivered));
      setup.client.sendInnerBatch(Array.from({ length: room }, () => packet.slice()));
      sent += room;
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (delivered !== lastDelivered) {
      lastDelivered = delivered;
      lastProgress = performance.now();
    } else if (sent === count || sent - delivered >= WINDOW) {
      sent = Math.min(sent, delivered + WINDOW / 2);
    }
  }
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  subscription.unsubscribe();
  console.error(
    `  ${size} B: ${delivered}/${count} delivered (window ${WINDOW}; the rest lost in socket buffers), ${((cpu.user + cpu.system) / delivered).toFixed(2)} µs of CPU per packet`,
  );
  return (delivered * 1000) / elapsed;
}

/** Heap and external bytes in use once garbage is collected and freed array buffers are
 * returned (their backing stores are released after the collection, off the main thread). */
async function settledMemory(gc: () => void): Promise<number> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

async function memoryPerSession(keys: ServerKeys, sessions: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  // Protocol time stands still while 100,000 handshakes are made and answered (minutes):
  // no ephemeral key or tunnel expires under the bench; timers still run.
  const frozenAt = Date.now();
  const clock: EngineClock = { ...systemClock, now: () => frozenAt };
  const network = new MemoryNetwork(clock, {
    latencyMs: 0,
    loss: 0,
    reorder: 0,
    reorderDelayMs: 0,
    duplicate: 0,
  });
  const server = new ServerEngine({
    suite: fastSuite,
    keys,
    clock,
    cryptoTransport: network.bind('10.0.0.1', 42424),
    keyTransport: network.bind('10.0.0.1', 42425),
    // A /14: room for 100,000 tunnels (a /16 holds 65,534).
    prefixLength: 14,
    maxPendingHandshakes: 100_000,
    handshakesPerSecond: Number.POSITIVE_INFINITY,
  });
  await server.ready();
  const current = (
    server as unknown as {
      store: { current(now: number): { ekemPk: Uint8Array; x25519Pk: Uint8Array } };
    }
  ).store.current(frozenAt / 1000);
  const messages = await handshakeMessages(keys, current, sessions);
  // external includes arrayBuffers (Node's documentation): counted once. The messages stay
  // referenced until both readings are taken, so neither counts them.
  const before = await settledMemory(gc);
  const senders = Array.from({ length: 100 }, (_, i) => network.bind('10.1.0.1', 10_000 + i));
  for (let i = 0; i < sessions; i++) senders[i % 100]!.send(messages[i]!, '10.0.0.1', 42424);
  while (server.counters.get('handshakes accepted') < sessions)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const after = await settledMemory(gc);
  messages.length = 0;
  const established = server.sessions().length;
  server.close();
  return (after - before) / established;
}

/** Nanoseconds to find a received packet's tunnel among 1,000 (the per-packet lookup). */
function tunnelLookupNs(): number {
  const index = new TunnelIndex<number>();
  const packets = Array.from({ length: 1_000 }, (_, i) => {
    const tid = random(32);
    index.set(tid, i);
    const packet = new Uint8Array(TUNNEL_HEADER_BYTES + 100);
    packet.set(encodeTunnelHeader(tid, 0, 1));
    return packet;
  });
  let found = 0;
  const lookups = 2_000_000;
  const start = performance.now();
  for (let i = 0; i < lookups; i++) found += index.forPacket(packets[i % 1_000]!) ?? 0;
  const elapsed = performance.now() - start;
  if (found === 0) throw new Error('no tunnel found');
  return (elapsed * 1e6) / lookups;
}

/** µs to open one 1,200-byte tunnel packet: genuine ones, then one forged (a flipped
 * ciphertext bit) tried again and again on a fresh copy. */
function openCostUs(): { genuine: number; forged: number } {
  const tid = random(32);
  const [x, y] = [random(32), random(32)];
  const sender = new TunnelSession(nativeSymmetric, tid, x, y, 0);
  const receiver = new TunnelSession(nativeSymmetric, tid, y, x, 0);
  const payload = new Uint8Array(1200);
  const count = 100_000;
  const genuine = Array.from({ length: count }, () => sender.seal(payload, 1));
  let start = performance.now();
  for (const packet of genuine) if (!receiver.open(packet, 1).ok) throw new Error('refused');
  const genuineUs = ((performance.now() - start) * 1000) / count;
  const forged = sender.seal(payload, 1);
  forged[TUNNEL_HEADER_BYTES]! ^= 1;
  const copies = Array.from({ length: count }, () => forged.slice());
  start = performance.now();
  for (const copy of copies) if (receiver.open(copy, 1).ok) throw new Error('forgery opened');
  const forgedUs = ((performance.now() - start) * 1000) / count;
  return { genuine: genuineUs, forged: forgedUs };
}

const SECTIONS = ['handshakes', 'packets', 'lookup', 'forgery', 'memory'] as const;

function chosenSections(args: string[]): ReadonlySet<string> {
  for (const arg of args)
    if (!(SECTIONS as readonly string[]).includes(arg)) {
      console.error(`bench:engine: unknown section ${arg} (one of: ${SECTIONS.join(', ')})`);
      process.exit(2);
    }
  return new Set(args.length === 0 ? SECTIONS : args);
}

async function main(): Promise<void> {
  const sections = chosenSections(process.argv.slice(2));
  const keys = await serverKeys();
  const portable: CryptoSuite = { backend: 'portable', sym: nobleSymmetric, kem: createWasmKem(2) };
  const rows: [string, string][] = [];
  if (sections.has('handshakes')) {
    for (const sockets of ['native', 'dgram'] as const)
      rows.push([
        `server handshakes/s, fast backend, ${sockets} sockets`,
        (await handshakesPerSecond(fastSuite, keys, 3000, sockets)).toFixed(0),
      ]);
    rows.push([
      'server handshakes/s, portable backend, native sockets',
      (await handshakesPerSecond(portable, keys, 60, 'native')).toFixed(1),
    ]);
  }
  for (const sockets of sections.has('packets') ? (['dgram', 'native'] as const) : []) {
    const setup = await connectTimes(keys, sockets);
    if (sockets === 'dgram') {
      rows.push([
        'cold connect (DNS answer → first reply, 1 MB key download), ms',
        setup.coldMs.toFixed(1),
      ]);
      rows.push(['warm connect (cached key, prekey), ms', setup.warmMs.toFixed(1)]);
    }
    for (const size of [64, 1200])
      rows.push([
        `inner packets/s through both engines, ${size} B, ${sockets} sockets`,
        (await packetsPerSecond(setup, size, 100_000)).toFixed(0),
      ]);
    setup.close();
  }
  if (sections.has('lookup'))
    rows.push([
      'tunnel lookup per received packet (1,000 tunnels), ns',
      tunnelLookupNs().toFixed(0),
    ]);
  if (sections.has('forgery')) {
    const cost = openCostUs();
    rows.push(['open a genuine 1,200-byte tunnel packet, µs', cost.genuine.toFixed(2)]);
    rows.push(['refuse a forged 1,200-byte tunnel packet, µs', cost.forged.toFixed(2)]);
  }
  for (const sessions of sections.has('memory') ? [10_000, 100_000] : [])
    rows.push([
      `server memory per established session (${sessions.toLocaleString('en')} sessions), bytes`,
      (await memoryPerSession(keys, sessions)).toFixed(0),
    ]);
  await portable.kem.close();
  await fastSuite.kem.close();
  console.log('\nsession engine on this machine (loopback UDP unless noted)');
  for (const [name, value] of rows) console.log(`${name.padEnd(70)} ${value.padStart(12)}`);
}

await main();
