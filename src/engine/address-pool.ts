/**
 * Internal tunnel addresses from a /16 (10.42.0.0/16 on servers, 10.43.0.0/16 on
 * clients): the lowest free address is handed out and returned to the pool on release.
 * The pool's own address (x.y.0.1), the network and the broadcast address are never given.
 * Which addresses are in use is one bit each (a /16 is 8 KiB, whatever the sessions).
 */
import { formatIpv4Address, parseIpv4Address } from '../protocol/ipv4.ts';

export class AddressPool {
  readonly network: number;
  readonly ownAddress: number;
  /** Addresses in the network, the network and broadcast addresses included. */
  readonly size: number;
  /** Bit `offset` set = network + offset is handed out. */
  private readonly used: Uint8Array;
  private usedCount = 0;
  private searchFrom = 1;

  constructor(ownAddress: string, prefixLength = 16) {
    if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) {
      throw new RangeError(`prefix length must be 8..30, got ${prefixLength}`);
    }
    const own = parseIpv4Address(ownAddress);
    const mask = (0xffffffff << (32 - prefixLength)) >>> 0;
    this.network = (own & mask) >>> 0;
    this.ownAddress = own;
    this.size = 2 ** (32 - prefixLength);
    this.used = new Uint8Array(Math.ceil(this.size / 8));
  }

  contains(address: number): boolean {
    return address - this.network >= 0 && address - this.network < this.size;
  }

  /** Inside the pool and assignable to a peer: not the network, own or broadcast address. */
  isAssignable(address: number): boolean {
    const offset = address - this.network;
    return offset > 0 && offset < this.size - 1 && address !== this.ownAddress;
  }

  /** The lowest free address, or null when the pool is full. */
  allocate(): number | null {
    for (let offset = this.searchFrom; offset < this.size - 1; offset++) {
      const address = (this.network + offset) >>> 0;
      if (address === this.ownAddress || this.isUsed(offset)) continue;
      this.used[offset >>> 3]! |= 1 << (offset & 7);
      this.usedCount++;
      this.searchFrom = offset + 1;
      return address;
    }
    return null;
  }

  release(address: number): void {
    if (!this.contains(address)) return;
    const offset = address - this.network;
    if (!this.isUsed(offset)) return;
    this.used[offset >>> 3]! &= ~(1 << (offset & 7));
    this.usedCount--;
    if (offset < this.searchFrom) this.searchFrom = offset;
  }

  get inUse(): number {
    return this.usedCount;
  }

  get capacity(): number {
    return this.size - 3;
  }

  private isUsed(offset: number): boolean {
    return (this.used[offset >>> 3]! & (1 << (offset & 7))) !== 0;
  }

  describe(address: number): string {
    return formatIpv4Address(address);
  }
}
