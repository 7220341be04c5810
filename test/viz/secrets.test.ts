/**
 * No key material in anything the visualizer sees: session transitions (live stream and
 * trace), status snapshots, and what the live server sends. Checked by scanning for the
 * server's secret keys and its ephemeral secrets in every form they could be encoded in.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { describe, it } from 'node:test';
import { toHex } from '../../src/crypto/bytes.ts';
import type { SessionTransition } from '../../src/engine/session-events.ts';
import { discover, roundTrip } from '../support/engine-flows.ts';
import { createPair, echoOnServer, VECTOR_SERVER_KEYS } from '../support/engine-harness.ts';
import { liveServerFor } from '../support/live-pair.ts';

function encodings(secret: Uint8Array): string[] {
  const head = secret.subarray(0, 16);
  return [
    toHex(secret),
    toHex(head),
    Buffer.from(head).toString('base64'),
    JSON.stringify(Array.from(head)).slice(1, -1),
  ];
}

function fetchText(url: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    const request = get(url, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
    setTimeout(() => {
      request.destroy();
      resolve(body);
    }, ms);
  });
}

describe('visualizer outputs carry no key material', () => {
  it('transitions, traces, status and the live stream never contain secret keys', async () => {
    const pair = createPair('fast');
    echoOnServer(pair.server);
    const transitions: SessionTransition[] = [];
    pair.client.events.transitions.subscribe((t) => transitions.push(t));
    pair.server.events.transitions.subscribe((t) => transitions.push(t));
    const live = await liveServerFor(pair);
    const internal = await discover(pair);
    assert.equal(await roundTrip(pair, internal, 'secret?'), 'echo:secret?');
    await pair.clock.advance(40_000);
    assert.ok(transitions.length >= 5);
    const store = (
      pair.server as unknown as {
        store: { secretsNewestFirst(now: number): { ekemSk: Uint8Array; x25519Sk: Uint8Array }[] };
      }
    ).store;
    const ephemeral = store.secretsNewestFirst(pair.clock.now() / 1000);
    assert.ok(ephemeral.length > 0);
    const secrets = [
      VECTOR_SERVER_KEYS.mcelieceSk,
      VECTOR_SERVER_KEYS.x25519Sk,
      VECTOR_SERVER_KEYS.sessionKey,
      ...ephemeral.flatMap((e) => [e.ekemSk, e.x25519Sk]),
    ];
    const outputs = {
      trace: transitions.map((t) => JSON.stringify(t)).join('\n'),
      status: JSON.stringify([
        pair.client.sessions(),
        pair.server.sessions(),
        pair.client.counters,
        pair.server.counters,
      ]),
      stream: await fetchText(`${live.url}events`, 300),
      liveStatus: await fetchText(`${live.url}status`, 300),
    };
    assert.match(outputs.stream, /"machine":"clientSession"/, 'the stream carried transitions');
    for (const [where, text] of Object.entries(outputs)) {
      for (const secret of secrets) {
        for (const form of encodings(secret))
          assert.ok(!text.includes(form), `${where} contains key material`);
      }
    }
  });
});
