/**
 * Typed access to the I/O half of the native addon: TUN devices, UDP over raw file
 * descriptors, NFQUEUE, and process hardening. Every descriptor the addon opens is
 * close-on-exec. Throws a clear error when the addon is not built.
 */
import { loadNativeAddon } from '../native-addon.ts';

export interface NativeIo {
  tunOpen(name: string): { fd: number; name: string };
  tunRead(fd: number, callback: (packets: Buffer[]) => void): unknown;
  tunStop(handle: unknown): void;
  tunWrite(fd: number, packet: Uint8Array): boolean;
  closeFd(fd: number): void;
  udpBind(address: string, port: number): { fd: number; port: number };
  udpRead(
    fd: number,
    callback: (datagrams: { data: Buffer; address: string; port: number }[]) => void,
  ): unknown;
  udpStop(handle: unknown): void;
  udpSend(fd: number, data: Uint8Array, address: string, port: number): boolean;
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

export function nativeIo(): NativeIo {
  const addon = loadNativeAddon<NativeIo>();
  if (!addon.ok) throw new Error(addon.reason);
  return addon.value;
}
