/**
 * Many PQConnect clients in one namespace, for the server-farm lab: resolves the
 * service name through DNS (CNAME to the pq1 name, its A record), then runs a client
 * engine (strict: never plain) on each source address given, so the router's ECMP hash
 * spreads them, each sending an ICMP echo through its tunnel every 200 ms.
 * Prints a JSON line every 250 ms: for each client, the TTL of its last echo reply (the
 * farm gives each instance its own TTL, so it names the instance that answered), when
 * that reply came, its session state, whether it was ever seen fallen back or failed, and
 * its silences: each gap of more than a second between two replies, with the TTL (the
 * instance) before and after.
 * Usage: farm-clients.ts DNS NAME ADDRESS[,ADDRESS...]
 */
import { Resolver } from 'node:dns/promises';
import { filter } from 'rxjs';
import { echoRequest } from '../../src/cli/server-check-network.ts';
import { createCryptoSuite } from '../../src/crypto/suite.ts';
import { ClientEngine } from '../../src/engine/client-engine.ts';
import { openUdpTransport } from '../../src/io/udp-transport.ts';
import { parsePq1Name } from '../../src/protocol/names.ts';

const ICMP_ECHO_REPLY = 0;
const GAP_MS = 1_000;
const [dns, name, addressList] = process.argv.slice(2);
const resolver = new Resolver();
resolver.setServers([dns!]);
const [pq1Name] = await resolver.resolveCname(name!);
const [address] = await resolver.resolve4(pq1Name!);
const announcement = parsePq1Name(pq1Name!);
if (announcement === null || address === undefined) throw new Error(`${name}: no pq1 announcement`);
const suite = createCryptoSuite('auto');

interface Client {
  engine: ClientEngine;
  ttl: number | null;
  replyAt: number;
  fellBack: boolean;
  failed: boolean;
  /** Silences between two replies longer than GAP_MS (the last 20). */
  gaps: { from: number; to: number; ttlBefore: number | null; ttlAfter: number }[];
}

const clients: Client[] = [];
for (const source of addressList!.split(',')) {
  const transport = await openUdpTransport(source, 0);
  const engine = new ClientEngine({ suite, transport, strict: true });
  const client: Client = {
    engine,
    ttl: null,
    replyAt: 0,
    fellBack: false,
    failed: false,
    gaps: [],
  };
  clients.push(client);
  const inner = engine.connect(announcement, address, name!, true);
  if (inner === null) throw new Error('no internal address');
  engine.innerPackets
    .pipe(filter((packet) => packet[9] === 1 && packet[20] === ICMP_ECHO_REPLY))
    .subscribe((packet) => {
      const now = Date.now();
      const ttl = packet[8]!;
      if (client.replyAt > 0 && now - client.replyAt > GAP_MS) {
        client.gaps.push({ from: client.replyAt, to: now, ttlBefore: client.ttl, ttlAfter: ttl });
        client.gaps.splice(0, client.gaps.length - 20);
      }
      client.ttl = ttl;
      client.replyAt = now;
    });
  let sequence = 0;
  setInterval(() => engine.sendInner(echoRequest(inner, ++sequence & 0xffff)), 200);
}

setInterval(() => {
  const report = clients.map((c) => {
    const state = JSON.stringify(c.engine.sessions()[0]?.state ?? null);
    if (state.includes('fallback')) c.fellBack = true;
    if (state.includes('failed')) c.failed = true;
    const { ttl, replyAt, fellBack, failed, gaps } = c;
    return { ttl, replyAt, state, fellBack, failed, gaps };
  });
  process.stdout.write(`${JSON.stringify({ at: Date.now(), clients: report })}\n`);
}, 250);
