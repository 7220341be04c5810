/**
 * The engines over a bad network: 10% loss with 25% reordering, 30% loss during the key
 * download (completes without flooding), roaming clients, and cookies offloading state
 * in both directions when the server's address pool is full.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discover, echoingTunnel, roundTrip, stateOf } from '../support/engine-flows.ts';
import { CLIENT_ADDRESS, createPair, echoOnServer } from '../support/engine-harness.ts';

describe('engines over a lossy, reordering network (virtual time)', () => {
  it('10% loss and 25% reordering: connects and keeps carrying traffic', async () => {
    const pair = createPair('fast', {
      conditions: { latencyMs: 15, loss: 0.1, reorder: 0.25, reorderDelayMs: 30, duplicate: 0.02 },
      seed: 11,
    });
    echoOnServer(pair.server);
    const internal = await discover(pair);
    await pair.clock.advance(20_000);
    assert.deepEqual(
      stateOf(pair, internal),
      { established: 'up' },
      JSON.stringify(pair.client.counters.toJSON()),
    );
    let answered = 0;
    for (let i = 0; i < 100; i++)
      if ((await roundTrip(pair, internal, `m${i}`, 300)) === `echo:m${i}`) answered++;
    assert.ok(answered >= 70, `only ${answered}/100 round trips with 10% loss each way`);
    assert.equal(pair.client.counters.dropped('tunnel: authentication failed'), 0);
  });

  it('30% loss: the 1 MB key download still completes, and does not flood', async () => {
    const pair = createPair('fast', {
      conditions: { latencyMs: 20, loss: 0.3, reorder: 0.05, reorderDelayMs: 20, duplicate: 0 },
      seed: 5,
    });
    const internal = await discover(pair);
    pair.client.sendInner(new Uint8Array(0));
    await pair.clock.advance(300_000);
    const sent = pair.client.counters.get('key download packets');
    assert.ok(
      pair.clientLog.some((line) => line.includes('static key verified')),
      'download completed',
    );
    assert.notEqual(stateOf(pair, internal), 'fallback');
    assert.ok(sent >= 937, `sent ${sent}`);
    assert.ok(sent < 937 * 3, `sent ${sent} requests for 937 nodes: flooding`);
  });

  it('follows a roaming client to its new address and port', async () => {
    const { pair, internal } = await echoingTunnel('before');
    assert.equal(pair.server.sessions()[0]!.peer, `${CLIENT_ADDRESS}:42423`);
    pair.network.rebind(CLIENT_ADDRESS, 42423, '203.0.113.99', 50000);
    assert.equal(await roundTrip(pair, internal, 'after'), 'echo:after');
    assert.equal(pair.server.sessions()[0]!.peer, '203.0.113.99:50000');
  });
});
