/**
 * The root–worker channel and its schemas, over a real socket pair: frames split across
 * reads and several in one read arrive whole; byte strings survive; an oversized frame,
 * non-JSON or a message the schema refuses ends the channel with one reported reason;
 * the schemas refuse extra keys, wrong types, control characters and wrong key lengths.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeFromWorker, decodeToWorker, type FromWorker } from '../../src/cli/ipc.ts';
import { encodeFrame, FrameChannel } from '../../src/io/frame-channel.ts';
import { tempDir } from '../support/temp-dir.ts';

async function socketPair(): Promise<[Socket, Socket]> {
  const path = join(tempDir('channel'), 's');
  const accepted = new Promise<Socket>((resolve) => {
    const server = createServer((socket) => {
      server.close();
      resolve(socket);
    });
    server.listen(path);
  });
  await new Promise((r) => setTimeout(r, 20));
  const client = connect(path);
  return [await accepted, client];
}

interface Received {
  messages: FromWorker[];
  violations: string[];
  closed: Promise<void>;
}

function rootSide(socket: Socket, maxFrameBytes = 4096): Received {
  const received: Received = { messages: [], violations: [], closed: Promise.resolve() };
  received.closed = new Promise((resolve) => {
    new FrameChannel<FromWorker, never>(socket, {
      maxFrameBytes,
      decode: decodeFromWorker,
      onMessage: (m) => received.messages.push(m),
      onViolation: (reason) => received.violations.push(reason),
      onClose: resolve,
    });
  });
  return received;
}

describe('frame channel', () => {
  it('delivers frames split across reads and several in one read, byte strings intact', async () => {
    const [root, worker] = await socketPair();
    const received = rootSide(root);
    const payload = new Uint8Array([0, 1, 2, 250, 255]);
    const frames = Buffer.concat([
      encodeFrame({ type: 'ready', summary: 'up' }),
      encodeFrame({ type: 'dns-verdict', id: 7, payload }),
      encodeFrame({ type: 'dns-verdict', id: 8, payload: null }),
    ]);
    for (let i = 0; i < frames.length; i += 3) {
      worker.write(frames.subarray(i, i + 3));
      await new Promise((r) => setImmediate(r));
    }
    worker.write(
      Buffer.concat([
        encodeFrame({ type: 'ready', summary: 'a' }),
        encodeFrame({ type: 'ready', summary: 'b' }),
      ]),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.messages.length, 5);
    assert.deepEqual(received.messages[1], { type: 'dns-verdict', id: 7, payload });
    assert.ok((received.messages[1] as { payload: unknown }).payload instanceof Uint8Array);
    assert.deepEqual(received.violations, []);
    worker.end();
    await received.closed;
  });

  for (const [name, bytes, reason] of [
    ['an oversized frame', Buffer.from([0, 0, 0x10, 0x01]), 'frame of 4097 bytes (limit 4096)'],
    [
      'non-JSON',
      Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]),
      'a frame that is not JSON',
    ],
    [
      'an unknown type',
      encodeFrame({ type: 'exec', command: 'sh' }),
      'a message of an unknown type',
    ],
  ] as const) {
    it(`${name} ends the channel with one reason`, async () => {
      const [root, worker] = await socketPair();
      const received = rootSide(root);
      worker.on('error', () => {});
      worker.write(bytes);
      worker.write(encodeFrame({ type: 'ready', summary: 'never read' }));
      await received.closed;
      assert.deepEqual(received.violations, [reason]);
      assert.deepEqual(received.messages, []);
    });
  }
});

describe('IPC schemas', () => {
  it('refuse what the worker must not send', () => {
    const refused: unknown[] = [
      null,
      [],
      { type: 'ready' },
      { type: 'ready', summary: 'two\nlines' },
      { type: 'ready', summary: 'x'.repeat(201) },
      { type: 'ready', summary: 'ok', extra: 1 },
      { type: 'dns-verdict', id: -1, payload: null },
      { type: 'dns-verdict', id: 1, payload: 'not bytes' },
      { type: 'dns-verdict', id: 1, payload: new Uint8Array(70_000) },
      { type: 'route', action: 'flush', internalAddress: '10.43.0.2', plainAddress: '192.0.2.1' },
      {
        type: 'route',
        action: 'add',
        internalAddress: '10.43.0.2',
        plainAddress: '192.0.2.1; rm -rf /',
      },
      { type: 'status', id: 1, status: 'text' },
      {
        type: 'transition',
        transition: {
          sessionId: 's',
          machine: 'm',
          state: { a: { b: { c: { d: { e: 'f' } } } } },
          event: 'e',
          context: {},
          at: 0,
        },
      },
      {
        type: 'transition',
        transition: {
          sessionId: 's',
          machine: 'm',
          state: 's',
          event: 'e',
          context: { big: 'x'.repeat(9000) },
          at: 0,
        },
      },
    ];
    for (const message of refused)
      assert.equal(decodeFromWorker(message).ok, false, JSON.stringify(message)?.slice(0, 80));
    assert.equal(
      decodeFromWorker({
        type: 'route',
        action: 'add',
        internalAddress: '10.43.0.2',
        plainAddress: '192.0.2.1',
      }).ok,
      true,
    );
    assert.equal(
      decodeFromWorker({
        type: 'transition',
        transition: {
          sessionId: 's',
          machine: 'clientSession',
          state: { established: 'up' },
          event: 'e',
          context: { name: 'x' },
          at: 1,
        },
      }).ok,
      true,
    );
  });

  it('refuse what root must not send, and check the server keys exactly', () => {
    const keys = {
      mceliecePk: new Uint8Array(1_047_319),
      mcelieceSk: new Uint8Array(13_948),
      x25519Pk: new Uint8Array(32),
      x25519Sk: new Uint8Array(32),
      sessionKey: new Uint8Array(32),
    };
    const server = {
      role: 'server',
      tunFd: 4,
      cryptoFd: 5,
      keyFd: 6,
      tunVnetHeader: true,
      udpSegmentation: true,
      tunnelAddress: '10.42.0.1',
      prefixLength: 16,
      backend: 'auto',
      verbosity: 0,
      keys,
    };
    assert.equal(decodeToWorker({ type: 'start', config: server }).ok, true);
    assert.equal(
      decodeToWorker({
        type: 'start',
        config: { ...server, keys: { ...keys, x25519Sk: new Uint8Array(31) } },
      }).ok,
      false,
    );
    assert.equal(decodeToWorker({ type: 'start', config: { ...server, tunFd: 1 } }).ok, false);
    assert.equal(
      decodeToWorker({ type: 'start', config: { ...server, tunVnetHeader: 'yes' } }).ok,
      false,
      'offload flags are booleans',
    );
    assert.equal(
      decodeToWorker({ type: 'start', config: { ...server, role: 'router' } }).ok,
      false,
    );
    assert.equal(decodeToWorker({ type: 'dns', id: 3, payload: new Uint8Array(10) }).ok, true);
    assert.equal(decodeToWorker({ type: 'dns', id: 3 }).ok, false);
    assert.equal(decodeToWorker({ type: 'stop', now: true }).ok, false);
  });
});
