/**
 * A DatagramTransport on a real UDP socket (node:dgram). Opening resolves once the socket
 * is bound, so nothing is ever sent from an accidental ephemeral port. Send errors (an
 * unreachable peer, a full buffer, a send after close) go to the caller's callback,
 * never thrown.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Subject } from 'rxjs';
import type { DatagramBatch, DatagramTransport } from '../shared/transport.ts';

export interface UdpTransport extends DatagramTransport {
  readonly port: number;
  readonly address: string;
}

/** Larger socket buffers absorb bursts (the kernel caps them at net.core.*mem_max). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

function trySetBuffers(socket: Socket): void {
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch {
    // The kernel refused the size; the defaults stay.
  }
}

export function openUdpTransport(
  address: string,
  port: number,
  onSendError: (error: Error) => void = () => {},
): Promise<UdpTransport> {
  const socket = createSocket({ type: 'udp4', reuseAddr: false });
  const datagrams = new Subject<DatagramBatch>();
  // node:dgram hands over one message at a time: a batch of one.
  socket.on('message', (message, remote) => {
    datagrams.next([
      {
        data: new Uint8Array(message.buffer, message.byteOffset, message.byteLength),
        address: remote.address,
        port: remote.port,
      },
    ]);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      trySetBuffers(socket);
      socket.on('error', onSendError);
      const bound = socket.address();
      let closed = false;
      resolve({
        address: bound.address,
        port: bound.port,
        datagrams: datagrams.asObservable(),
        send: (data, toAddress, toPort) => {
          if (closed) {
            onSendError(new Error('send on a closed UDP transport'));
            return;
          }
          socket.send(data, toPort, toAddress, (error) => {
            if (error) onSendError(error);
          });
        },
        close: () => {
          if (closed) return;
          closed = true;
          datagrams.complete();
          socket.close();
        },
      });
    });
  });
}
