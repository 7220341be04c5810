/**
 * Engine transports over file descriptors from the native addon: a DatagramTransport on a
 * UDP socket fd and a packet stream on a TUN fd. Both read in batches on the event loop
 * (uv_poll), never on the thread pool, so shutdown is never held up by a pending read.
 */
import { Subject } from 'rxjs';
import type { Counters } from '../shared/counters.ts';
import type { Datagram, DatagramTransport } from '../shared/transport.ts';
import { nativeIo } from './native-io.ts';

export function udpFdTransport(fd: number, counters?: Counters): DatagramTransport {
  const io = nativeIo();
  const datagrams = new Subject<Datagram>();
  const handle = io.udpRead(fd, (batch) => {
    for (const d of batch)
      datagrams.next({
        data: new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.length),
        address: d.address,
        port: d.port,
      });
  });
  return {
    datagrams: datagrams.asObservable(),
    send: (data, address, port) => {
      if (!io.udpSend(fd, data, address, port)) counters?.drop('udp: send refused by the kernel');
    },
    close: () => {
      io.udpStop(handle);
      io.closeFd(fd);
      datagrams.complete();
    },
  };
}

export interface TunPort {
  readonly packets: Subject<Uint8Array>;
  write(packet: Uint8Array): void;
  close(): void;
}

export function tunFdPort(fd: number, counters?: Counters): TunPort {
  const io = nativeIo();
  const packets = new Subject<Uint8Array>();
  const handle = io.tunRead(fd, (batch) => {
    for (const p of batch) packets.next(new Uint8Array(p.buffer, p.byteOffset, p.length));
  });
  return {
    packets,
    write: (packet) => {
      if (!io.tunWrite(fd, packet)) counters?.drop('tun: write refused by the kernel');
    },
    close: () => {
      io.tunStop(handle);
      io.closeFd(fd);
      packets.complete();
    },
  };
}
