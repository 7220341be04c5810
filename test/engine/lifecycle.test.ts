/**
 * Two engines on an in-memory network with virtual time: discovery through DNS, key
 * download, 0-RTT handshake, traffic both ways, epochs and erasure over minutes, expiry,
 * and a new handshake from cached prekeys without a second download.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, take } from 'rxjs';
import {
  CLIENT_ADDRESS,
  createPair,
  decodeAnswerAddresses,
  dnsAnswer,
  echoOnServer,
  type Pair,
  udpPacket,
  udpPayload,
} from '../support/engine-harness.ts';

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

async function discover(pair: Pair): Promise<string> {
  await pair.clock.advance(10);
  await pair.server.ready();
  const answer = pair.client.rewriteDnsAnswer(
    dnsAnswer('www.demo.test', {
      cname: pair.pq1Name,
      owner: pair.pq1Name,
      address: '198.51.100.1',
    }),
  );
  assert.equal(answer.discoveries.length, 1);
  const [record] = decodeAnswerAddresses(answer.bytes);
  assert.equal(record!.ttl, 0);
  return record!.address;
}

async function roundTrip(
  pair: Pair,
  internal: string,
  message: string,
  waitMs = 2_000,
): Promise<string> {
  const reply = firstValueFrom(pair.client.innerPackets.pipe(take(1)));
  pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, text(message)));
  await pair.clock.advance(waitMs);
  return decode(udpPayload(await reply).payload);
}

function stateOf(pair: Pair, internal: string): unknown {
  return pair.client.sessionActor(internal)?.getSnapshot().value;
}

describe('engine lifecycle (fast backend, virtual time)', () => {
  it('discovers, downloads, handshakes and carries packets both ways', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const internal = await discover(pair);
    assert.equal(internal, '10.43.0.2');
    const reply = await roundTrip(pair, internal, 'hello');
    assert.equal(reply, 'echo:hello');
    assert.deepEqual(stateOf(pair, internal), { established: 'up' });
    const [session] = pair.server.sessions();
    assert.equal(session!.internalAddress, '10.42.0.2');
    assert.equal(session!.peer, `${CLIENT_ADDRESS}:42423`);
    assert.ok(pair.client.counters.get('key download packets') >= 937);
    assert.equal(
      pair.client.counters.totalDropped(),
      0,
      JSON.stringify(pair.client.counters.toJSON()),
    );
  });

  it('inner packets arrive rewritten: client sees the server as its internal address', async () => {
    const pair = createPair('fast');
    const atServer = firstValueFrom(pair.server.innerPackets);
    const internal = await discover(pair);
    pair.client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, text('x')));
    await pair.clock.advance(2_000);
    const packet = udpPayload(await atServer);
    assert.equal(packet.source, '10.42.0.2');
    assert.equal(packet.destination, '10.42.0.1');
    const reply = firstValueFrom(pair.client.innerPackets);
    pair.server.sendInner(udpPacket('10.42.0.1', '10.42.0.2', 7, 5000, text('y')));
    await pair.clock.advance(100);
    const back = udpPayload(await reply);
    assert.equal(back.source, internal);
    assert.equal(back.destination, '10.43.0.1');
  });

  it('lives through epochs for minutes, expires when idle, and reconnects from prekeys', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'first'), 'echo:first');
    const downloads = pair.client.counters.get('key download packets');
    const seen: string[] = [];
    pair.client.events.transitions.subscribe((t) => seen.push(JSON.stringify(t.state)));
    for (let i = 0; i < 8; i++) {
      assert.equal(await roundTrip(pair, internal, `minute ${i}`, 20_000), `echo:minute ${i}`);
    }
    const session = pair.client.sessions()[0]!;
    assert.ok(session.sendEpoch! >= 5, `send epoch ${session.sendEpoch}`);
    assert.ok(seen.includes('"rekeying"'), 'rekeyed');
    await pair.clock.advance(200_000);
    assert.equal(stateOf(pair, internal), 'expired');
    assert.equal(pair.server.sessions().length, 0, 'server erased the idle tunnel');
    assert.ok(pair.client.prekeyCount(internal) > 0);
    assert.equal(await roundTrip(pair, internal, 'again', 3_000), 'echo:again');
    assert.equal(
      pair.client.counters.get('key download packets'),
      downloads,
      'no second key download',
    );
    assert.equal(pair.client.counters.get('handshakes sent'), 2);
  });
});
