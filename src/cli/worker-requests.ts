/**
 * Root's judgement of the client worker's requests against what root itself saw: DNS
 * verdicts are checked against the very packet root queued (streams/dns-verdict.ts) —
 * a refused or missing verdict passes the original — and the pairs an accepted answer
 * set up are remembered; a plain-fallback route is accepted only for such a pair, for an
 * assignable tunnel address and a usable plain address, with at most MAX_ROUTES at once
 * and ROUTES_PER_SECOND new ones. Refusals are counted and logged at most every 10 s.
 */
import { RateLimiter } from '../engine/rate-limiter.ts';
import type { PlainRoute } from '../io/firewall-types.ts';
import { formatIpv4Address, parseIpv4Address } from '../protocol/ipv4.ts';
import { checkDnsVerdict } from '../streams/dns-verdict.ts';
import { PassedAnswers } from './passed-answers.ts';

export const MAX_ROUTES = 256;
const ROUTES_PER_SECOND = 10;
/** Most DNS answers held waiting for a verdict; beyond, new ones pass unchanged at once. */
export const MAX_PENDING_DNS = 1_024;
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface TunnelPool {
  isAssignable(address: number): boolean;
  contains(address: number): boolean;
}

function usablePlainAddress(address: number, pool: TunnelPool): boolean {
  const first = address >>> 24;
  const linkLocal = address >>> 16 === 0xa9fe;
  return !pool.contains(address) && first !== 0 && first !== 127 && first < 224 && !linkLocal;
}

export class WorkerRequests {
  private readonly originals = new Map<number, Uint8Array>();
  private readonly passedAnswers = new PassedAnswers();
  private readonly routeLimiter = new RateLimiter(ROUTES_PER_SECOND, ROUTES_PER_SECOND);
  private readonly refusals = new Map<string, number>();
  private lastRefusalLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly pool: TunnelPool,
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Root queued `original` (a DNS answer) under `id`; false when too many are pending. */
  queued(id: number, original: Uint8Array): boolean {
    if (this.originals.size >= MAX_PENDING_DNS) return false;
    this.originals.set(id, original.slice());
    return true;
  }

  get pending(): number {
    return this.originals.size;
  }

  /**
   * What to hand the kernel for the answer `id`: the worker's rewrite if it passes the
   * check, else null (the original unchanged). Undefined when `id` is not pending.
   */
  settle(id: number, rewritten: Uint8Array | null): Uint8Array | null | undefined {
    const original = this.originals.get(id);
    if (original === undefined) return undefined;
    this.originals.delete(id);
    if (rewritten === null) return null;
    const check = checkDnsVerdict(original, rewritten, (a) => this.pool.isAssignable(a));
    if (!check.ok) {
      this.refuse(`DNS verdict refused (${check.reason}); original passed`);
      return null;
    }
    this.passedAnswers.remember(check.pairs, this.now());
    return rewritten;
  }

  /** The route to install or remove, or null (refused and counted). */
  route(request: PlainRoute & { action: 'add' | 'remove' }, installed: number): PlainRoute | null {
    const internal = parseIpv4Address(request.internalAddress);
    const plain = parseIpv4Address(request.plainAddress);
    const route = {
      internalAddress: formatIpv4Address(internal),
      plainAddress: formatIpv4Address(plain),
    };
    if (request.action === 'remove') return route;
    if (!this.pool.isAssignable(internal) || !usablePlainAddress(plain, this.pool))
      return this.refuseRoute('not a tunnel address and a usable plain address');
    if (!this.passedAnswers.passed(internal, plain, this.now()))
      return this.refuseRoute('no DNS answer root passed maps these addresses');
    if (installed >= MAX_ROUTES) return this.refuseRoute(`${MAX_ROUTES} routes installed already`);
    if (!this.routeLimiter.allow('routes', this.now()))
      return this.refuseRoute('too many new routes per second');
    return route;
  }

  /** Refusals by reason, for status. */
  refused(): Record<string, number> {
    return Object.fromEntries(this.refusals);
  }

  private refuseRoute(reason: string): null {
    this.refuse(`route request refused (${reason})`);
    return null;
  }

  private refuse(what: string): void {
    this.refusals.set(what, (this.refusals.get(what) ?? 0) + 1);
    const now = this.now();
    if (now - this.lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return;
    this.lastRefusalLog = now;
    this.log(`${what} [${this.refusals.get(what)} so far]`);
  }
}
