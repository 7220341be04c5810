/**
 * Many PQConnect clients in one namespace, for the server-farm lab: resolves the
 * service name through DNS (CNAME to the pq1 name, its A record), then runs COUNT client
 * engines (strict: never plain), each on its own source address FIRST.. so the router's
 * ECMP hash spreads them, each sending an ICMP echo through its tunnel every 200 ms.
 * Prints a JSON line every 250 ms: for each client, the TTL of its last echo reply (the
 * farm gives each instance its own TTL, so it names the instance that answered), when
 * that reply came, its session state, and whether it ever fell back.
 * Usage: farm-clients.ts DNS NAME COUNT FIRST_ADDRESS
 */
import { Resolver } from 'node:dns/promises';
import { filter } from 'rxjs';
import { echoRequest } from '../../src/cli/server-check-network.ts';
import { createCryptoSuite } from '../../src/crypto/suite.ts';
import { ClientEngine } from '../../src/engine/client-engine.ts';
import { openUdpTransport } from '../../src/io/udp-transport.ts';
import { parsePq1Name } from '../../src/protocol/names.ts';

const ICMP_ECHO_REPLY = 0;
const [dns, name, countText, first] = process.argv.slice(2);
const resolver = new Resolver();
resolver.setServers([dns!]);
const [pq1Name] = await resolver.resolveCname(name!);
const [address] = await resolver.resolve4(pq1Name!);
const announcement = parsePq1Name(pq1Name!);
if (announcement === null || address === undefined) throw new Error(`${name}: no pq1 announcement`);
const suite = createCryptoSuite('auto');
const base = first!.split('.').map(Number);

interface Client {
  engine: ClientEngine;
  ttl: number | null;
  replyAt: number;
  fellBack: boolean;
}

const clients: Client[] = [];
for (let i = 0; i < Number(countText); i++) {
  const source = [...base.slice(0, 3), base[3]! + i].join('.');
  const transport = await openUdpTransport(source, 0);
  const engine = new ClientEngine({ suite, transport, strict: true });
  const client: Client = { engine, ttl: null, replyAt: 0, fellBack: false };
  clients.push(client);
  const inner = engine.connect(announcement, address, name!, true);
  if (inner === null) throw new Error('no internal address');
  engine.innerPackets
    .pipe(filter((packet) => packet[9] === 1 && packet[20] === ICMP_ECHO_REPLY))
    .subscribe((packet) => {
      client.ttl = packet[8]!;
      client.replyAt = Date.now();
    });
  let sequence = 0;
  setInterval(() => engine.sendInner(echoRequest(inner, ++sequence & 0xffff)), 200);
}

setInterval(() => {
  const report = clients.map((c) => {
    const state = JSON.stringify(c.engine.sessions()[0]?.state ?? null);
    if (state.includes('fallback')) c.fellBack = true;
    return { ttl: c.ttl, replyAt: c.replyAt, state, fellBack: c.fellBack };
  });
  process.stdout.write(`${JSON.stringify({ at: Date.now(), clients: report })}\n`);
}, 250);
