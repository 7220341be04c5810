/**
 * Engine transports over file descriptors from the native addon: a DatagramTransport on a
 * UDP socket fd and a packet stream on a TUN fd. Both read in batches on the event loop
 * (uv_poll), never on the thread pool, so shutdown is never held up by a pending read,
 * and hand each read's batch on whole; writes to the TUN also go in batches.
 * With offloads, sends of one turn leave in GSO batches (segment-sender.ts), and the TUN
 * carries virtio-net headers (TSO packets arrive already split into segments).
 */
import { type Observable, Subject } from 'rxjs';
import { catalogue, type SinkFor } from '../shared/counters.ts';
import type { Datagram, DatagramBatch, DatagramTransport } from '../shared/transport.ts';
import { nativeIo } from './native-io.ts';
import { segmentSender } from './segment-sender.ts';

/** What the descriptor transports count: datagrams and packets the kernel refused. */
export const FD_TRANSPORT_COUNTERS = catalogue({
  counts: [],
  drops: ['udp: send refused by the kernel', 'tun: write refused by the kernel'],
});
type FdTransportCounters = SinkFor<typeof FD_TRANSPORT_COUNTERS>;

export function udpFdTransport(
  fd: number,
  counters?: FdTransportCounters,
  { segmentation = false } = {},
): DatagramTransport {
  const io = nativeIo();
  const refused = (datagrams: number) =>
    counters?.drop('udp: send refused by the kernel', datagrams);
  const segments = segmentation ? segmentSender(io, fd, refused) : null;
  const datagrams = new Subject<DatagramBatch>();
  const handle = io.udpRead(fd, ([datas, addresses, ports]) => {
    const batch: Datagram[] = new Array(datas.length);
    for (let i = 0; i < datas.length; i++)
      batch[i] = { data: datas[i]!, address: addresses[i]!, port: ports[i]! };
    datagrams.next(batch);
  });
  return {
    datagrams: datagrams.asObservable(),
    copiesOnSend: true,
    send: (data, address, port) => {
      if (segments !== null) segments.send(data, address, port);
      else if (!io.udpSend(fd, data, address, port)) refused(1);
    },
    close: () => {
      io.udpStop(handle);
      io.closeFd(fd);
      datagrams.complete();
    },
  };
}

/** Batches written in one turn of the event loop go to the kernel together, once the
 * current callback has returned (so consecutive TCP segments can be coalesced). */
function batchedWrites(
  flush: (batch: Uint8Array[]) => void,
): (packets: readonly Uint8Array[]) => void {
  let batch: Uint8Array[] = [];
  return (packets) => {
    const first = batch.length === 0;
    for (const packet of packets) batch.push(packet);
    if (!first || batch.length === 0) return;
    queueMicrotask(() => {
      const written = batch;
      batch = [];
      flush(written);
    });
  };
}

export interface TunPort {
  /** The packets of each read, as one batch. */
  readonly packets: Observable<readonly Uint8Array[]>;
  write(packets: readonly Uint8Array[]): void;
  close(): void;
}

export function tunFdPort(
  fd: number,
  counters?: FdTransportCounters,
  { vnetHeader = false } = {},
): TunPort {
  const io = nativeIo();
  const packets = new Subject<readonly Uint8Array[]>();
  const deliver = (batch: Uint8Array[]) => packets.next(batch);
  const handle = vnetHeader ? io.tunReadVnet(fd, deliver) : io.tunRead(fd, deliver);
  const refused = (count: number) => {
    if (count > 0) counters?.drop('tun: write refused by the kernel', count);
  };
  const write = vnetHeader
    ? batchedWrites((batch) => refused(io.tunWriteVnetBatch(fd, batch)))
    : (batch: readonly Uint8Array[]) => {
        let failed = 0;
        for (const packet of batch) if (!io.tunWrite(fd, packet)) failed++;
        refused(failed);
      };
  return {
    packets: packets.asObservable(),
    write,
    close: () => {
      io.tunStop(handle);
      io.closeFd(fd);
      packets.complete();
    },
  };
}
