/**
 * UDP sends coalesced for the kernel's segmentation offload (UDP GSO): datagrams sent
 * in one turn of the event loop to the same address, all of one size (the last may be
 * shorter), are copied back to back into one buffer and leave in one sendmsg with
 * UDP_SEGMENT. The run is flushed when the destination or size changes, when it is full,
 * and in any case once the current callback has returned (a microtask), so nothing waits
 * for more traffic. If the kernel cannot segment, every datagram goes out on its own.
 */
import type { NativeIo } from './native-io.ts';

/** The kernel's limit of segments in one GSO send. */
const MAX_SEGMENTS = 64;
/** The largest UDP payload of one IPv4 datagram (the GSO send's total). */
const MAX_BYTES = 65_507;

export interface SegmentSender {
  send(data: Uint8Array, address: string, port: number): void;
  /** True while the kernel accepted GSO sends (false after it refused one). */
  readonly segmenting: boolean;
}

export function segmentSender(
  io: Pick<NativeIo, 'udpSend' | 'udpSendSegments'>,
  fd: number,
  refused: (datagrams: number) => void,
): SegmentSender {
  const run = new Uint8Array(MAX_BYTES);
  let used = 0;
  let count = 0;
  let size = 0;
  let address = '';
  let port = 0;
  let closedBySmaller = false;
  let flushQueued = false;
  let segmenting = true;

  const sendEach = () => {
    let failed = 0;
    for (let offset = 0; offset < used; offset += size)
      if (!io.udpSend(fd, run.subarray(offset, Math.min(used, offset + size)), address, port))
        failed++;
    if (failed > 0) refused(failed);
  };

  const flush = () => {
    if (count === 0) return;
    if (count === 1 || !segmenting) sendEach();
    else {
      const outcome = io.udpSendSegments(fd, run.subarray(0, used), size, address, port);
      if (outcome === -1) {
        segmenting = false;
        sendEach();
      } else if (outcome === 0) refused(count);
    }
    used = 0;
    count = 0;
    closedBySmaller = false;
  };

  const flushLater = () => {
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(() => {
      flushQueued = false;
      flush();
    });
  };

  return {
    get segmenting() {
      return segmenting;
    },
    send(data, toAddress, toPort) {
      if (!segmenting) {
        if (!io.udpSend(fd, data, toAddress, toPort)) refused(1);
        return;
      }
      const fits =
        count > 0 &&
        !closedBySmaller &&
        toPort === port &&
        toAddress === address &&
        data.length <= size &&
        count < MAX_SEGMENTS &&
        used + data.length <= MAX_BYTES;
      if (!fits) {
        flush();
        if (data.length > MAX_BYTES || data.length === 0) {
          if (!io.udpSend(fd, data, toAddress, toPort)) refused(1);
          return;
        }
        size = data.length;
        address = toAddress;
        port = toPort;
      }
      run.set(data, used);
      used += data.length;
      count++;
      if (data.length < size) closedBySmaller = true;
      flushLater();
    },
  };
}
