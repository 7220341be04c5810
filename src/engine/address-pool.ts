/**
 * Internal tunnel addresses from a /16 (10.42.0.0/16 on servers, 10.43.0.0/16 on
 * clients): the lowest free address is handed out and returned to the pool on release.
 * The pool's own address (x.y.0.1), the network and the broadcast address are never given.
 */
import { formatIpv4Address, parseIpv4Address } from '../protocol/ipv4.ts';

export class AddressPool {
  readonly network: number;
  readonly ownAddress: number;
  private readonly size: number;
  private readonly used = new Set<number>();
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
      if (address === this.ownAddress || this.used.has(address)) continue;
      this.used.add(address);
      this.searchFrom = offset + 1;
      return address;
    }
    return null;
  }

  release(address: number): void {
    if (!this.used.delete(address)) return;
    const offset = address - this.network;
    if (offset < this.searchFrom) this.searchFrom = offset;
  }

  get inUse(): number {
    return this.used.size;
  }

  get capacity(): number {
    return this.size - 3;
  }

  describe(address: number): string {
    return formatIpv4Address(address);
  }
}
