/**
 * The server's sessions by internal address: a list indexed by the address's offset in the
 * pool's network (the pool hands out the lowest free address, so the list stays dense).
 * A slot costs one pointer where a Map entry costs several, and a lookup per routed packet
 * is an array read.
 */
export class AddressTable<T> {
  private readonly slots: (T | undefined)[] = [];
  private count = 0;

  constructor(
    private readonly network: number,
    private readonly networkSize: number,
  ) {}

  get size(): number {
    return this.count;
  }

  get(address: number): T | undefined {
    const offset = address - this.network;
    return offset >= 0 && offset < this.networkSize ? this.slots[offset] : undefined;
  }

  set(address: number, value: T): void {
    const offset = this.offsetOf(address);
    while (this.slots.length < offset) this.slots.push(undefined);
    if (this.slots[offset] === undefined) this.count++;
    this.slots[offset] = value;
  }

  delete(address: number): void {
    const offset = this.offsetOf(address);
    if (this.slots[offset] === undefined) return;
    this.slots[offset] = undefined;
    this.count--;
    while (this.slots.length > 0 && this.slots.at(-1) === undefined) this.slots.pop();
  }

  /** Every value, in address order; values set or deleted meanwhile are seen or skipped. */
  *values(): IterableIterator<T> {
    for (let offset = 0; offset < this.slots.length; offset++) {
      const value = this.slots[offset];
      if (value !== undefined) yield value;
    }
  }

  private offsetOf(address: number): number {
    const offset = address - this.network;
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.networkSize)
      throw new RangeError(`address ${address} is outside the table's network`);
    return offset;
  }
}
