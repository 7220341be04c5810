/**
 * Finds a tunnel by the tunnel id a received packet carries, without building a string per
 * packet: the id's first 6 bytes, read as an integer, pick a bucket (almost always of
 * one), and the full 32 bytes are compared. Tunnel ids are public (they travel in every
 * packet), so the comparison need not be constant-time.
 */
import { TID_BYTES } from '../protocol/constants.ts';

const TID_OFFSET = 2;

interface Entry<T> {
  tid: Uint8Array;
  value: T;
}

function bucketKey(bytes: Uint8Array, offset: number): number {
  const low =
    ((bytes[offset + 2]! << 24) |
      (bytes[offset + 3]! << 16) |
      (bytes[offset + 4]! << 8) |
      bytes[offset + 5]!) >>>
    0;
  return bytes[offset]! * 2 ** 40 + bytes[offset + 1]! * 2 ** 32 + low;
}

function sameTid(entry: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < TID_BYTES; i++) if (entry[i] !== bytes[offset + i]) return false;
  return true;
}

export class TunnelIndex<T> {
  private readonly buckets = new Map<number, Entry<T>[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The tunnel of a tunnel packet (02 00 ‖ tid ‖ …), or undefined. */
  forPacket(packet: Uint8Array): T | undefined {
    if (packet.length < TID_OFFSET + TID_BYTES) return undefined;
    return this.find(packet, TID_OFFSET)?.value;
  }

  get(tid: Uint8Array): T | undefined {
    return tid.length === TID_BYTES ? this.find(tid, 0)?.value : undefined;
  }

  has(tid: Uint8Array): boolean {
    return this.get(tid) !== undefined;
  }

  set(tid: Uint8Array, value: T): void {
    const found = this.find(tid, 0);
    if (found !== undefined) {
      found.value = value;
      return;
    }
    const key = bucketKey(tid, 0);
    const bucket = this.buckets.get(key);
    const entry = { tid: tid.slice(), value };
    if (bucket === undefined) this.buckets.set(key, [entry]);
    else bucket.push(entry);
    this.count++;
  }

  delete(tid: Uint8Array): boolean {
    const key = bucketKey(tid, 0);
    const bucket = this.buckets.get(key);
    const index = bucket?.findIndex((entry) => sameTid(entry.tid, tid, 0)) ?? -1;
    if (bucket === undefined || index < 0) return false;
    bucket.splice(index, 1);
    if (bucket.length === 0) this.buckets.delete(key);
    this.count--;
    return true;
  }

  *values(): IterableIterator<T> {
    for (const bucket of this.buckets.values()) for (const entry of bucket) yield entry.value;
  }

  private find(bytes: Uint8Array, offset: number): Entry<T> | undefined {
    const bucket = this.buckets.get(bucketKey(bytes, offset));
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (sameTid(entry.tid, bytes, offset)) return entry;
    return undefined;
  }
}
