/** Shared flows for engine tests: discovery through DNS, inner-packet round trips, and a
 * pair with its tunnel up. */
import assert from 'node:assert/strict';
import { firstValueFrom, take } from 'rxjs';
import type { ClientEngine } from '../../src/engine/client-engine.ts';
import {
  createPair,
  decodeAnswerAddresses,
  dnsAnswer,
  echoOnServer,
  type Pair,
  SERVER_ADDRESS,
  udpPacket,
  udpPayload,
} from './engine-harness.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function discover(
  pair: Pair,
  {
    address = SERVER_ADDRESS,
    name = 'www.demo.test',
    client = pair.client,
  }: { address?: string; name?: string; client?: ClientEngine } = {},
): Promise<string> {
  await pair.clock.advance(10);
  await pair.server.ready();
  const answer = client.rewriteDnsAnswer(
    dnsAnswer(name, { cname: pair.pq1Name, owner: pair.pq1Name, address }),
  );
  const [record] = decodeAnswerAddresses(answer.bytes);
  assert.ok(record);
  return record.address;
}

/** Sends one UDP message to the server's internal address; resolves with the reply text or null. */
export async function roundTrip(
  pair: Pair,
  internal: string,
  message: string,
  waitMs = 2_000,
  client: ClientEngine = pair.client,
): Promise<string | null> {
  const reply = firstValueFrom(client.innerPackets.pipe(take(1)), { defaultValue: null });
  let received: string | null = null;
  void reply.then((packet) => {
    received = packet === null ? null : decoder.decode(udpPayload(packet).payload);
  });
  client.sendInner(udpPacket('10.43.0.1', internal, 5000, 7, encoder.encode(message)));
  await pair.clock.advance(waitMs);
  return received;
}

/** A fast-backend pair whose server echoes, with the tunnel up: `message` went through
 * and its echo came back. */
export async function echoingTunnel(message: string): Promise<{ pair: Pair; internal: string }> {
  const pair = createPair('fast');
  echoOnServer(pair.server);
  const internal = await discover(pair);
  assert.equal(await roundTrip(pair, internal, message), `echo:${message}`);
  return { pair, internal };
}

export function stateOf(pair: Pair, internal: string): unknown {
  return pair.client.sessionActor(internal)?.getSnapshot().value;
}
