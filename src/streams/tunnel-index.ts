/**
 * Finds a tunnel by the tunnel id a received packet carries, without building a string per
 * packet: the id's first 30 bits, read as an integer, pick a bucket (almost always of
 * one), and the full 32 bytes are compared. The index keeps its own copy of every id, all
 * in one buffer (slot s at 32·s), so an entry costs a few dozen bytes, not several objects.
 * Tunnel ids are public (they travel in every packet): comparisons need not be constant-time.
 */
import { TID_BYTES } from '../protocol/constants.ts';

const TID_OFFSET = 2;
const INITIAL_SLOTS = 16;

/** A small integer (a V8 Smi: no allocation) from the id's first 30 bits. */
function bucketKey(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! & 0x3f) << 24) |
    (bytes[offset + 1]! << 16) |
    (bytes[offset + 2]! << 8) |
    bytes[offset + 3]!
  );
}

export class TunnelIndex<T> {
  private tids = new Uint8Array(INITIAL_SLOTS * TID_BYTES);
  private readonly entries: (T | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** bucket key → the slot of the one id with that key, or the slots of several. */
  private readonly buckets = new Map<number, number | number[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The tunnel of a tunnel packet (02 00 ‖ tid ‖ …), or undefined. */
  forPacket(packet: Uint8Array): T | undefined {
    if (packet.length < TID_OFFSET + TID_BYTES) return undefined;
    const slot = this.find(packet, TID_OFFSET);
    return slot < 0 ? undefined : this.entries[slot];
  }

  get(tid: Uint8Array): T | undefined {
    if (tid.length !== TID_BYTES) return undefined;
    const slot = this.find(tid, 0);
    return slot < 0 ? undefined : this.entries[slot];
  }

  has(tid: Uint8Array): boolean {
    return this.get(tid) !== undefined;
  }

  set(tid: Uint8Array, value: T): void {
    if (tid.length !== TID_BYTES) throw new RangeError(`a tunnel id is ${TID_BYTES} bytes`);
    const found = this.find(tid, 0);
    if (found >= 0) {
      this.entries[found] = value;
      return;
    }
    const slot = this.takeSlot();
    this.tids.set(tid, slot * TID_BYTES);
    this.entries[slot] = value;
    const key = bucketKey(tid, 0);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, slot);
    else if (typeof bucket === 'number') this.buckets.set(key, [bucket, slot]);
    else bucket.push(slot);
    this.count++;
  }

  delete(tid: Uint8Array): boolean {
    if (tid.length !== TID_BYTES) return false;
    const slot = this.find(tid, 0);
    if (slot < 0) return false;
    const key = bucketKey(tid, 0);
    const bucket = this.buckets.get(key)!;
    if (typeof bucket === 'number') this.buckets.delete(key);
    else {
      bucket.splice(bucket.indexOf(slot), 1);
      if (bucket.length === 1) this.buckets.set(key, bucket[0]!);
    }
    this.tids.fill(0, slot * TID_BYTES, (slot + 1) * TID_BYTES);
    this.entries[slot] = undefined;
    this.freeSlots.push(slot);
    this.count--;
    return true;
  }

  *values(): IterableIterator<T> {
    for (const slots of this.buckets.values())
      if (typeof slots === 'number') yield this.entries[slots]!;
      else for (const slot of slots) yield this.entries[slot]!;
  }

  /** The slot holding the id at bytes[offset…], or -1. */
  private find(bytes: Uint8Array, offset: number): number {
    const bucket = this.buckets.get(bucketKey(bytes, offset));
    if (bucket === undefined) return -1;
    if (typeof bucket === 'number') return this.holds(bucket, bytes, offset) ? bucket : -1;
    for (const slot of bucket) if (this.holds(slot, bytes, offset)) return slot;
    return -1;
  }

  private holds(slot: number, bytes: Uint8Array, offset: number): boolean {
    const { tids } = this;
    const at = slot * TID_BYTES;
    for (let i = 0; i < TID_BYTES; i++) if (tids[at + i] !== bytes[offset + i]) return false;
    return true;
  }

  private takeSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.entries.length;
    if ((slot + 1) * TID_BYTES > this.tids.length) {
      const grown = new Uint8Array(this.tids.length * 2);
      grown.set(this.tids);
      this.tids = grown;
    }
    return slot;
  }
}
