/**
 * The two engines over real UDP sockets on 127.0.0.1 with the real clock: discovery,
 * key download, handshake and inner IPv4 packets both ways, on both crypto backends.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { ClientEngine } from '../../src/engine/client-engine.ts';
import { ServerEngine } from '../../src/engine/server-engine.ts';
import { openUdpTransport } from '../../src/io/udp-transport.ts';
import { formatPq1Label } from '../../src/protocol/names.ts';
import {
  decodeAnswerAddresses,
  dnsAnswer,
  echoOnServer,
  udpPacket,
  udpPayload,
  VECTOR_PKH,
  VECTOR_SERVER_KEYS,
} from '../support/engine-harness.ts';
import { suiteFor } from '../support/suites.ts';

for (const backend of ['fast', 'portable'] as const) {
  describe(`engines over loopback UDP (${backend} backend, real time)`, () => {
    it('carries inner IPv4 packets both ways through a real tunnel', async () => {
      const suite = suiteFor(backend);
      const crypto = await openUdpTransport('127.0.0.1', 0);
      const keys = await openUdpTransport('127.0.0.1', 0);
      const clientPort = await openUdpTransport('127.0.0.1', 0);
      const server = new ServerEngine({
        suite,
        keys: VECTOR_SERVER_KEYS,
        cryptoTransport: crypto,
        keyTransport: keys,
      });
      const client = new ClientEngine({ suite, transport: clientPort });
      after(() => {
        client.close();
        server.close();
        for (const t of [crypto, keys, clientPort]) t.close();
      });
      echoOnServer(server);
      await server.ready();
      const pq1 = `${formatPq1Label(VECTOR_PKH, { crypto: crypto.port, key: keys.port })}.loop.test`;
      const answer = client.rewriteDnsAnswer(
        dnsAnswer('www.loop.test', { cname: pq1, owner: pq1, address: '127.0.0.1' }),
      );
      const internal = decodeAnswerAddresses(answer.bytes)[0]!.address;
      const replies = firstValueFrom(
        client.innerPackets.pipe(take(20), toArray(), timeout(60_000)),
      );
      for (let i = 0; i < 20; i++) {
        client.sendInner(
          udpPacket('10.43.0.1', internal, 5000 + i, 7, new TextEncoder().encode(`udp ${i}`)),
        );
      }
      const received = (await replies)
        .map((p) => new TextDecoder().decode(udpPayload(p).payload))
        .sort();
      assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => `echo:udp ${i}`).sort());
      assert.equal(server.sessions().length, 1);
      assert.equal(server.sessions()[0]!.peer, `127.0.0.1:${clientPort.port}`);
    });
  });
}
