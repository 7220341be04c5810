/**
 * Typed access to the I/O half of the native addon: TUN devices, UDP over raw file
 * descriptors, NFQUEUE, and process hardening. Every descriptor the addon opens is
 * close-on-exec. Throws a clear error when the addon is not built.
 */
import { loadNativeAddon } from '../native-addon.ts';

export interface NativeIo {
  /** With offload: virtio-net headers on the device, and TSO for IPv4 if `tso`. */
  tunOpen(name: string, offload: boolean): TunOpened;
  tunRead(fd: number, callback: (packets: Uint8Array[]) => void): unknown;
  /** For a device opened with offload: TSO packets come out as MTU-sized segments. */
  tunReadVnet(fd: number, callback: (packets: Uint8Array[]) => void): unknown;
  tunStop(handle: unknown): void;
  tunWrite(fd: number, packet: Uint8Array): boolean;
  /** TCP and UDP packets must carry only their pseudo-header sum as checksum ('partial'
   * inner checksums): the kernel completes it. */
  tunWriteVnet(fd: number, packet: Uint8Array): boolean;
  /** As tunWriteVnet, in order, consecutive segments of a TCP flow coalesced into one GSO
   * packet (GRO); returns how many packets the kernel refused. */
  tunWriteVnetBatch(fd: number, packets: Uint8Array[]): number;
  closeFd(fd: number): void;
  /** With gro: UDP_GRO on the socket (`gro` false in the answer if the kernel refused). */
  udpBind(address: string, port: number, gro: boolean): { fd: number; port: number; gro: boolean };
  udpRead(fd: number, callback: (batch: UdpBatch) => void): unknown;
  udpStop(handle: unknown): void;
  udpSend(fd: number, data: Uint8Array, address: string, port: number): boolean;
  /** Datagrams of `size` bytes back to back (the last may be shorter) in one GSO send:
   * 1 sent, 0 refused by the kernel (dropped), -1 GSO unsupported here. */
  udpSendSegments(
    fd: number,
    data: Uint8Array,
    size: number,
    address: string,
    port: number,
  ): 1 | 0 | -1;
  nfqueueOpen(
    queue: number,
    callback: (packets: { id: number; payload: Buffer }[]) => void,
  ): unknown;
  nfqueueVerdict(handle: unknown, id: number, payload: Uint8Array | null): void;
  nfqueueClose(handle: unknown): void;
  /** PR_SET_DUMPABLE 0 for this process; false if the kernel refused. */
  setNotDumpable(): boolean;
  /** Installs the worker's seccomp allow-list on every thread (native/src/seccomp.c);
   * returns how many system calls it allows. Throws if it cannot be installed. */
  confineSyscalls(): number;
}

/** Datagrams as three parallel arrays: bytes, source address, source port. */
export type UdpBatch = [datas: Uint8Array[], addresses: string[], ports: number[]];

export interface TunOpened {
  fd: number;
  name: string;
  vnetHeader: boolean;
  tso: boolean;
}

export function nativeIo(): NativeIo {
  const addon = loadNativeAddon<NativeIo>();
  if (!addon.ok) throw new Error(addon.reason);
  return addon.value;
}
