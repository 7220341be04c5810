/**
 * Reliable, congestion-controlled transfer of key-tree nodes over UDP (protocol.md §4:
 * "paces its requests with congestion control … must adapt to loss"). At most `window`
 * requests are in flight (never more than maxWindow); the window grows by slow start /
 * additive increase on answers. A request is retransmitted early when three requests
 * sent after it have been answered and it is older than max(srtt + 4·rttvar, 2·srtt)
 * (fast retransmit, tolerant of reordering), else when its own exponentially backed-off
 * timeout expires. Timeouts feed a moving loss estimate; while it is above
 * LOSS_BACKOFF_THRESHOLD the window shrinks to 70% (once per round trip, not below 2),
 * so moderate random loss is repaired quickly and persistent heavy loss slows the
 * transfer down. Sends are paced at srtt / window. A node that fails maxAttempts times
 * fails the transfer.
 */
import type { EngineClock } from '../shared/clock.ts';

export interface TransferOptions {
  initialWindow: number;
  maxWindow: number;
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  maxAttempts: number;
  /** Attempts for the very first node of a download, before the server has answered at all. */
  firstContactAttempts: number;
}

export const DEFAULT_TRANSFER_OPTIONS: TransferOptions = {
  initialWindow: 4,
  maxWindow: 64,
  initialRtoMs: 400,
  minRtoMs: 60,
  maxRtoMs: 5_000,
  maxAttempts: 16,
  firstContactAttempts: 4,
};

export interface NodeRef {
  depth: number;
  position: number;
}

interface InFlight {
  node: NodeRef;
  sentAt: number;
  attempts: number;
  timer: unknown;
  /** Order of sending, for loss detection by later answers. */
  sequence: number;
}

export interface TransferStats {
  sent: number;
  retransmitted: number;
  answered: number;
  window: number;
  srttMs: number;
}

const MIN_WINDOW = 2;
/** Later answers that mark an earlier request lost (as TCP's three duplicate ACKs). */
const REORDER_TOLERANCE = 3;
/** Weight of one outcome (answer or timeout) in the loss-rate estimate. */
const LOSS_SMOOTHING = 0.05;
/** Loss rate above which the window shrinks. */
const LOSS_BACKOFF_THRESHOLD = 0.25;
const DECREASE_FACTOR = 0.7;
/** Requests sent back to back before the pacer waits (srtt · burst / window); a quarter
 * of the window when that is more. */
const PACING_BURST = 4;
/** Gaps shorter than a timer can measure are not paced: answers clock the sending. */
const MIN_PACING_DELAY_MS = 1;

const keyOf = (node: NodeRef) => `${node.depth}/${node.position}`;

export class NodeTransfer {
  private readonly queue: NodeRef[];
  private readonly attempts = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly remaining: Set<string>;
  private window: number;
  private threshold = Number.POSITIVE_INFINITY;
  private srtt: number | null = null;
  private rttVariance = 0;
  private rto: number;
  private lastReduction = Number.NEGATIVE_INFINITY;
  private lossRate = 0;
  private sequence = 0;
  private nextSendAt = 0;
  private pumpTimer: unknown = null;
  private finished = false;
  private resolve: () => void = () => {};
  private reject: (error: Error) => void = () => {};
  readonly stats: TransferStats = { sent: 0, retransmitted: 0, answered: 0, window: 0, srttMs: 0 };

  constructor(
    nodes: readonly NodeRef[],
    private readonly sendRequest: (node: NodeRef) => void,
    private readonly clock: EngineClock,
    private readonly options: TransferOptions = DEFAULT_TRANSFER_OPTIONS,
  ) {
    this.queue = [...nodes];
    this.remaining = new Set(nodes.map(keyOf));
    this.window = options.initialWindow;
    this.rto = options.initialRtoMs;
  }

  /** Runs the transfer; resolves when every node has been answered. */
  run(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (this.remaining.size === 0) this.finish();
    else this.pump();
    return done;
  }

  /** A verified answer for `node` arrived (duplicates and strangers are ignored). */
  answered(node: NodeRef): void {
    const key = keyOf(node);
    if (this.finished || !this.remaining.has(key)) return;
    this.remaining.delete(key);
    this.stats.answered++;
    this.lossRate *= 1 - LOSS_SMOOTHING;
    const flight = this.inFlight.get(key);
    if (flight !== undefined) {
      this.clock.clearTimeout(flight.timer);
      this.inFlight.delete(key);
      if (flight.attempts === 1) this.sampleRtt(this.clock.now() - flight.sentAt);
      this.detectLosses(flight.sequence);
      this.window = Math.min(
        this.options.maxWindow,
        this.window + (this.window < this.threshold ? 1 : 1 / this.window),
      );
    } else {
      const index = this.queue.findIndex((n) => keyOf(n) === key);
      if (index >= 0) this.queue.splice(index, 1);
    }
    if (this.remaining.size === 0) this.finish();
    else this.pump();
  }

  cancel(): void {
    this.cleanup();
    this.finished = true;
  }

  /** Stops a running transfer: nothing more is sent and `run` rejects with `reason`. */
  abort(reason: Error): void {
    if (!this.finished) this.fail(reason);
  }

  private pump(): void {
    if (this.finished) return;
    const now = this.clock.now();
    if (this.nextSendAt - now >= MIN_PACING_DELAY_MS) {
      this.schedulePump(this.nextSendAt - now);
      return;
    }
    const maxBurst = Math.max(PACING_BURST, Math.ceil(this.window / 4));
    let burst = 0;
    while (
      this.queue.length > 0 &&
      this.inFlight.size < Math.floor(this.window) &&
      burst < maxBurst
    ) {
      this.transmit(this.queue.shift()!, now);
      burst++;
    }
    if (burst > 0) {
      const roundTrip = this.srtt ?? this.options.initialRtoMs / 4;
      this.nextSendAt = now + (roundTrip * burst) / Math.max(1, this.window);
      if (this.queue.length > 0 && this.inFlight.size < Math.floor(this.window))
        this.schedulePump(this.nextSendAt - now);
    }
    this.stats.window = this.window;
  }

  private schedulePump(delay: number): void {
    if (this.pumpTimer !== null) return;
    this.pumpTimer = this.clock.setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, delay);
  }

  private transmit(node: NodeRef, now: number): void {
    const key = keyOf(node);
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempts);
    if (attempts > 1) this.stats.retransmitted++;
    this.stats.sent++;
    const backoff = Math.min(this.options.maxRtoMs, this.rto * 2 ** (attempts - 1));
    const timer = this.clock.setTimeout(() => this.timedOut(key), backoff);
    this.inFlight.set(key, { node, sentAt: now, attempts, timer, sequence: this.sequence++ });
    this.sendRequest(node);
  }

  /**
   * Fast retransmit: a request still unanswered after REORDER_TOLERANCE requests sent
   * after it were answered, and older than max(srtt + 4·rttvar, 2·srtt), is taken as
   * lost now instead of after its timeout.
   */
  private detectLosses(answeredSequence: number): void {
    if (this.srtt === null) return;
    const now = this.clock.now();
    const patience = Math.max(this.srtt + 4 * this.rttVariance, 2 * this.srtt);
    for (const [key, flight] of [...this.inFlight]) {
      if (
        flight.sequence + REORDER_TOLERANCE <= answeredSequence &&
        now - flight.sentAt > patience
      ) {
        this.clock.clearTimeout(flight.timer);
        this.inFlight.delete(key);
        this.queue.unshift(flight.node);
      }
    }
  }

  private timedOut(key: string): void {
    const flight = this.inFlight.get(key);
    if (flight === undefined || this.finished) return;
    this.inFlight.delete(key);
    if (flight.attempts >= this.options.maxAttempts) {
      this.fail(new Error(`key node ${key} unanswered after ${flight.attempts} attempts`));
      return;
    }
    this.noteLoss(this.clock.now());
    this.queue.unshift(flight.node);
    this.pump();
  }

  /** A request was lost: update the loss estimate; back off if loss is heavy. */
  private noteLoss(now: number): void {
    this.lossRate = this.lossRate * (1 - LOSS_SMOOTHING) + LOSS_SMOOTHING;
    if (
      this.lossRate > LOSS_BACKOFF_THRESHOLD &&
      now - this.lastReduction > (this.srtt ?? this.rto)
    ) {
      this.window = Math.max(MIN_WINDOW, this.window * DECREASE_FACTOR);
      this.threshold = this.window;
      this.lastReduction = now;
    }
  }

  private sampleRtt(sample: number): void {
    if (this.srtt === null) {
      this.srtt = sample;
      this.rttVariance = sample / 2;
    } else {
      this.rttVariance = 0.75 * this.rttVariance + 0.25 * Math.abs(this.srtt - sample);
      this.srtt = 0.875 * this.srtt + 0.125 * sample;
    }
    this.stats.srttMs = this.srtt;
    this.rto = Math.min(
      this.options.maxRtoMs,
      Math.max(this.options.minRtoMs, this.srtt + 4 * this.rttVariance),
    );
  }

  private finish(): void {
    this.cleanup();
    this.finished = true;
    this.resolve();
  }

  private fail(error: Error): void {
    this.cleanup();
    this.finished = true;
    this.reject(error);
  }

  private cleanup(): void {
    for (const flight of this.inFlight.values()) this.clock.clearTimeout(flight.timer);
    this.inFlight.clear();
    if (this.pumpTimer !== null) this.clock.clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
  }
}
