/**
 * Tunnel packets that arrive for an unknown tunnel while handshakes are still being
 * processed: a 0-RTT client sends data right behind its handshake, and the data can win
 * the race against the McEliece decapsulation on the thread pool. A few such packets are
 * held for a second and replayed once the tunnel exists; the rest are dropped as before.
 * At most 256 are held, each a copy of its own bytes.
 */
import type { EngineClock } from '../shared/clock.ts';
import type { Datagram } from '../shared/transport.ts';

const MAX_HELD = 256;
const HOLD_MS = 1_000;

export class EarlyPacketBuffer {
  private readonly held = new Map<string, { at: number; datagram: Datagram }[]>();
  private count = 0;

  constructor(private readonly clock: EngineClock) {}

  /** Keeps the packet if a handshake is pending and there is room; returns whether it did. */
  hold(tunnelId: string, datagram: Datagram, handshakePending: boolean): boolean {
    this.expire();
    if (!handshakePending || this.count >= MAX_HELD) return false;
    const list = this.held.get(tunnelId) ?? [];
    // A copy: the datagram may be a view into a 64 KiB GRO buffer that it would pin.
    list.push({ at: this.clock.now(), datagram: { ...datagram, data: datagram.data.slice() } });
    this.held.set(tunnelId, list);
    this.count++;
    return true;
  }

  /** The packets held for a tunnel that now exists, in arrival order. */
  release(tunnelId: string): Datagram[] {
    const list = this.held.get(tunnelId) ?? [];
    this.held.delete(tunnelId);
    this.count -= list.length;
    return list.map((entry) => entry.datagram);
  }

  private expire(): void {
    const cutoff = this.clock.now() - HOLD_MS;
    for (const [id, list] of this.held) {
      const kept = list.filter((entry) => entry.at >= cutoff);
      this.count -= list.length - kept.length;
      if (kept.length === 0) this.held.delete(id);
      else this.held.set(id, kept);
    }
  }
}
