/**
 * The first packets of a new tunnel, kept to be sent once more (docs/session-rules.md,
 * "Early data"): they went out right behind the handshake, and a server that drops data
 * overtaking its handshake (the deployed one) loses them. After a settle time of twice
 * the key server's round trip (50–250 ms), if nothing authenticated came back, `resend`
 * gets them. One timer at a time, owned here and cancelled with `cancel`.
 */
import type { EngineClock } from '../shared/clock.ts';

const MIN_SETTLE_MS = 50;
const MAX_SETTLE_MS = 250;

function earlyDataSettleMs(keyServerRttMs: number | null): number {
  const doubled = 2 * (keyServerRttMs ?? MAX_SETTLE_MS);
  return Math.min(MAX_SETTLE_MS, Math.max(MIN_SETTLE_MS, doubled));
}

export class EarlyDataResend {
  private timer: unknown = null;

  constructor(private readonly clock: EngineClock) {}

  /**
   * Keeps `packets`; after the settle time, hands them to `resend` unless `answeredSince`
   * says something authenticated arrived after they were sent.
   */
  keep<Packet>(
    packets: readonly Packet[],
    keyServerRttMs: number | null,
    answeredSince: (sentAt: number) => boolean,
    resend: (packets: readonly Packet[]) => void,
  ): void {
    this.cancel();
    const sentAt = this.clock.now();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!answeredSince(sentAt)) resend(packets);
    }, earlyDataSettleMs(keyServerRttMs));
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
