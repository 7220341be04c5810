/**
 * Everything stops when told: closing the client engine during the static-key download,
 * the ephemeral-key fetch or the handshake leaves no timer and sends nothing more; with a
 * real UDP socket, a retry can no longer fire into a closed socket. A KEM backend that
 * throws, or whose WASM worker dies mid-decapsulation, is counted and the engines keep
 * serving. (The whole suite also fails on any unhandled rejection.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { createWasmKem } from '../../src/crypto/kem-wasm.ts';
import { ClientEngine } from '../../src/engine/client-engine.ts';
import { openUdpTransport } from '../../src/io/udp-transport.ts';
import { discover, echoingTunnel, roundTrip, stateOf } from '../support/engine-flows.ts';
import {
  CLIENT_ADDRESS,
  createPair,
  echoOnServer,
  type Pair,
  restartServer,
  SERVER_ADDRESS,
  VECTOR_PKH,
} from '../support/engine-harness.ts';
import { suiteFor, trackedKem } from '../support/suites.ts';

/** Round trips until one is answered (a datagram sent into a failed handshake is lost). */
async function answeredWithin(
  pair: Pair,
  internal: string,
  attempts: number,
  client = pair.client,
): Promise<boolean> {
  for (let i = 0; i < attempts; i++)
    if ((await roundTrip(pair, internal, `try ${i}`, 2_000, client)) === `echo:try ${i}`)
      return true;
  return false;
}

/** Counts what the client puts on the wire from now on. */
function clientSends(pair: Pair): () => number {
  let sent = 0;
  pair.network.tap((from) => {
    if (from === `${CLIENT_ADDRESS}:42423`) sent++;
  });
  return () => sent;
}

async function closeAndCheck(pair: Pair, what: string): Promise<void> {
  const sent = clientSends(pair);
  const timersBefore = pair.clock.pendingTimers();
  pair.client.close();
  pair.server.close();
  await pair.clock.advance(120_000);
  assert.equal(sent(), 0, `nothing sent after close (${what})`);
  assert.equal(pair.clock.pendingTimers(), 0, `no timer left (${what}; ${timersBefore} before)`);
}

describe('close() cancels everything (virtual time)', () => {
  it('during the static-key download', async () => {
    const pair = createPair('fast');
    const internal = await discover(pair);
    await pair.clock.advance(30);
    assert.equal(stateOf(pair, internal), 'fetchingStaticKey');
    await closeAndCheck(pair, 'download');
  });

  it('during the ephemeral-key fetch', async () => {
    const { pair, internal } = await echoingTunnel('a');
    pair.network.block(SERVER_ADDRESS, 42425);
    pair.client.reconnect(internal);
    await pair.clock.advance(600);
    assert.equal(stateOf(pair, internal), 'fetchingEphemeralKey');
    await closeAndCheck(pair, 'ephemeral fetch');
  });

  it('during the handshake', async () => {
    const pair = createPair('fast');
    pair.network.block(SERVER_ADDRESS, 42424);
    const internal = await discover(pair);
    await pair.clock.advance(2_500);
    assert.deepEqual(stateOf(pair, internal), { handshaking: 'awaitingConfirmation' });
    await closeAndCheck(pair, 'handshake');
  });

  it('with a real UDP socket, no retry fires into the closed socket', async () => {
    const suite = suiteFor('fast');
    const transport = await openUdpTransport('127.0.0.1', 0);
    const silent = await openUdpTransport('127.0.0.1', 0);
    const client = new ClientEngine({ suite, transport });
    client.connect(
      { pkh: VECTOR_PKH, ports: { crypto: silent.port, key: silent.port } },
      '127.0.0.1',
    );
    await sleep(100);
    client.close();
    transport.close();
    await sleep(1_200);
    silent.close();
    assert.equal(client.counters.dropped('send after close'), 0, 'nothing even tried to send');
  });
});

describe('KEM failures are counted, and the engines keep serving (virtual time)', () => {
  it('a throwing decapsulation on the server, and a throwing encapsulation on the client', async () => {
    const pair = createPair('fast');
    let failures = 1;
    const kem = pair.suite.kem;
    echoOnServer(
      await restartServer(pair, {
        suite: {
          ...pair.suite,
          kem: {
            ...kem,
            decapsulate: (name, ct, sk) => {
              if (name === 'mceliece6960119' && failures-- > 0)
                return Promise.reject(new Error('KEM library failed'));
              return kem.decapsulate(name, ct, sk);
            },
          },
        },
      }),
    );
    const internal = await discover(pair);
    assert.ok(await answeredWithin(pair, internal, 5));
    assert.equal(pair.server.counters.dropped('handshake: computation failed'), 1);
    assert.ok(
      pair.serverLog.some((l) => /handshake: computation failed: KEM library failed/.test(l)),
    );
  });

  it('a client whose encapsulations fail for a while counts them, retries the handshake and connects', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const kem = pair.suite.kem;
    let calls = 0;
    const flaky = new ClientEngine({
      suite: {
        ...pair.suite,
        kem: {
          ...kem,
          encapsulate: (name, pk) =>
            [1, 2].includes(calls++)
              ? Promise.reject(new Error('encapsulation failed'))
              : kem.encapsulate(name, pk),
        },
      },
      transport: pair.network.bind('192.0.2.7', 42423),
      clock: pair.clock,
    });
    const internal = await discover(pair, { client: flaky });
    assert.ok(
      await answeredWithin(pair, internal, 5, flaky),
      JSON.stringify([flaky.sessions(), flaky.counters.toJSON()]),
    );
    assert.ok(flaky.counters.dropped('handshake: computation failed') >= 1);
    assert.equal(flaky.counters.get('plain packets'), 0, 'no fallback for a local failure');
    flaky.close();
  });

  it('a WASM worker that dies mid-decapsulation fails one handshake; the next is served', async () => {
    const pair = createPair('fast');
    const wasm = createWasmKem(1);
    const post = Worker.prototype.postMessage;
    let killed = false;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: never[]) {
      post.call(this, message, ...rest);
      if (!killed && (message as { op?: string }).op === 'decapsulate') {
        killed = true;
        void this.terminate();
      }
    };
    try {
      echoOnServer(
        await restartServer(pair, {
          suite: { backend: 'portable', sym: pair.suite.sym, kem: trackedKem(wasm, pair.clock) },
        }),
      );
      const internal = await discover(pair);
      assert.ok(await answeredWithin(pair, internal, 5));
      assert.ok(killed, 'a worker was killed');
      assert.equal(pair.server.counters.dropped('handshake: computation failed'), 1);
      assert.ok(pair.serverLog.some((l) => /WASM KEM worker exited/.test(l)));
    } finally {
      Worker.prototype.postMessage = post;
      pair.server.close();
      await wasm.close();
    }
  });
});
