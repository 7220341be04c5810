/**
 * UDP sends coalesced for GSO (src/io/segment-sender.ts) over real loopback sockets, the
 * receiver with UDP_GRO: every datagram arrives, in order, with its bytes, whatever the
 * mix of sizes; and, with a kernel that refuses GSO (this one does not, so the addon's
 * answer is replaced), every datagram still leaves on its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nativeIo } from '../../src/io/native-io.ts';
import { segmentSender } from '../../src/io/segment-sender.ts';

const io = nativeIo();

function datagram(index: number, size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (index * 31 + i) & 0xff);
}

describe('UDP sends in GSO batches', () => {
  it('delivers every datagram intact and in order through GSO and GRO', async () => {
    const receiver = io.udpBind('127.0.0.1', 0, true);
    const sender = io.udpBind('127.0.0.1', 0, false);
    assert.equal(receiver.gro, true, 'UDP_GRO on loopback');
    const arrived: Uint8Array[] = [];
    const reader = io.udpRead(receiver.fd, ([datas, addresses]) => {
      for (const data of datas) arrived.push(data.slice());
      assert.ok(addresses.every((a) => a === '127.0.0.1'));
    });
    let refused = 0;
    const send = segmentSender(io, sender.fd, (n) => {
      refused += n;
    });
    const sizes = [...Array(70).fill(300), 120, 300, 300, 500, 500, 1, 64_000, 200];
    const sent = sizes.map((size, index) => datagram(index, size));
    for (const d of sent) send.send(d, '127.0.0.1', receiver.port);
    for (let waited = 0; arrived.length < sent.length && waited < 5_000; waited += 20)
      await sleep(20);
    io.udpStop(reader);
    io.closeFd(receiver.fd);
    io.closeFd(sender.fd);
    assert.equal(refused, 0);
    assert.equal(send.segmenting, true, 'the kernel took GSO sends');
    assert.deepEqual(
      arrived.map((d) => d.length),
      sizes,
    );
    assert.deepEqual(arrived, sent);
  });

  it('keeps the order of datagrams to different addresses and sizes', async () => {
    const calls: string[] = [];
    const fake = {
      udpSend: (_fd: number, data: Uint8Array, _address: string, port: number) => {
        calls.push(`send ${port} ${data.length}`);
        return true;
      },
      udpSendSegments: (_fd: number, data: Uint8Array, size: number, _a: string, port: number) => {
        calls.push(`gso ${port} ${data.length}/${size}`);
        return 1 as const;
      },
    };
    const send = segmentSender(fake, 3, () => {});
    for (const [port, size] of [
      [1, 100],
      [1, 100],
      [2, 100],
      [1, 100],
      [1, 100],
      [1, 40],
      [1, 100],
      [1, 200],
    ] as const)
      send.send(new Uint8Array(size), '127.0.0.1', port);
    await sleep(0);
    assert.deepEqual(calls, [
      'gso 1 200/100',
      'send 2 100',
      'gso 1 240/100',
      'send 1 100',
      'send 1 200',
    ]);
  });

  it('sends each datagram alone once the kernel refuses GSO', () => {
    const calls: string[] = [];
    const fake = {
      udpSend: (_fd: number, data: Uint8Array) => {
        calls.push(`send ${data.length}:${data[0]}`);
        return true;
      },
      udpSendSegments: () => -1 as const,
    };
    const send = segmentSender(fake, 3, () => {});
    for (let i = 0; i < 3; i++) send.send(datagram(i, 100), '127.0.0.1', 9);
    return sleep(0).then(() => {
      send.send(datagram(9, 50), '127.0.0.1', 9);
      assert.equal(send.segmenting, false);
      assert.deepEqual(calls, ['send 100:0', 'send 100:31', 'send 100:62', 'send 50:23']);
    });
  });
});
