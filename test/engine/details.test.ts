/**
 * Engine details: ephemeral keys per 30 s slot with secrets erased after 120 s, a
 * handshake made with a 90 s old ephemeral key, lowest-free internal addresses reused
 * after expiry, ports from TXT records, and the bounded queue while connecting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discover, echoingTunnel, roundTrip, stateOf } from '../support/engine-flows.ts';
import { createPair, echoOnServer, udpPacket } from '../support/engine-harness.ts';

describe('engine details (virtual time)', () => {
  it('keeps one ephemeral key pair per 30 s slot and erases secrets 120 s after the slot starts', async () => {
    const pair = createPair('fast');
    await pair.clock.advance(10);
    await pair.server.ready();
    for (let minute = 0; minute < 6; minute++) {
      await pair.clock.advance(60_000);
      const now = pair.clock.now() / 1000;
      const slots = pair.server.ephemeralSlots();
      assert.ok(
        slots.every((slot) => now - slot < 120),
        `held ${slots} at ${now}`,
      );
      assert.ok(
        slots.some((slot) => slot <= now && now - slot < 30),
        'current slot present',
      );
      assert.ok(
        slots.some((slot) => slot > now),
        'next slot generated ahead',
      );
    }
  });

  it('accepts a handshake made with an ephemeral key from 90 s earlier', async () => {
    const { pair, internal } = await echoingTunnel('one');
    await pair.clock.advance(200_000);
    assert.equal(stateOf(pair, internal), 'expired');
    assert.equal(await roundTrip(pair, internal, 'two', 3_000), 'echo:two');
    assert.equal(
      pair.server.sessions()[0]!.internalAddress,
      '10.42.0.2',
      'lowest free address reused',
    );
  });

  it('takes ports from TXT records when the pq1 label has none', async () => {
    const lookups: string[] = [];
    const pair = createPair('fast', {
      ports: { crypto: 624, key: 584 },
      client: {
        resolver: {
          resolveTxt: async (name) => {
            lookups.push(name);
            if (name.startsWith('ks.')) return ['ip=198.51.100.1;p=584'];
            return ['p=624'];
          },
        },
      },
    });
    echoOnServer(pair.server);
    const bare = pair.pq1Name.replace(/^pq1(\w{52})\w{8}/, 'pq1$1');
    pair.pq1Name = bare;
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'txt'), 'echo:txt');
    assert.deepEqual(lookups.sort(), [`ks.${bare}`, bare]);
  });

  it('queues at most 64 packets while connecting and sends them once the tunnel is up', async () => {
    const pair = createPair('fast');
    let count = 0;
    pair.server.innerPackets.subscribe(() => count++);
    const internal = await discover(pair);
    for (let i = 0; i < 100; i++)
      pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, new Uint8Array([i])));
    assert.equal(pair.client.counters.dropped('outbound: queue full while connecting'), 36);
    await pair.clock.advance(3_000);
    assert.equal(count, 64);
  });
});
