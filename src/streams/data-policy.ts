/**
 * The data plane's view of a session: a session machine tags each state with what its
 * packets get — 'queue' (held, bounded, until the tunnel is up), 'seal' (through the
 * tunnel), 'plain' (the plain fallback route), or nothing (dropped). The pipeline
 * switches on that policy (switchMap), so no packet ever passes through the machine;
 * packets travel through it in the batches they were routed in.
 */
import {
  concat,
  defer,
  distinctUntilChanged,
  from,
  map,
  type Observable,
  of,
  Subject,
  type Subscription,
  startWith,
  switchMap,
  tap,
} from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { CheckedIpv4Packet } from '../protocol/ipv4.ts';

export type DataPolicy = 'queue' | 'seal' | 'plain' | 'drop';

interface TaggedSnapshot {
  hasTag(tag: string): boolean;
}

function policyOf(snapshot: TaggedSnapshot): DataPolicy {
  if (snapshot.hasTag('seal')) return 'seal';
  if (snapshot.hasTag('queue')) return 'queue';
  if (snapshot.hasTag('plain')) return 'plain';
  return 'drop';
}

/** The session's policy now and after every transition (completes when the actor stops). */
export function policyStream(actor: AnyActorRef): Observable<DataPolicy> {
  const snapshots = from(actor as unknown as Observable<TaggedSnapshot>);
  return snapshots.pipe(
    startWith(actor.getSnapshot() as TaggedSnapshot),
    map(policyOf),
    distinctUntilChanged(),
  );
}

/** Why a session's data plane dropped an outbound packet. */
export const POLICY_DROPS = ['session not usable', 'queue full while connecting'] as const;

export interface PolicyHandlers {
  seal(packet: CheckedIpv4Packet): void;
  plain(packet: CheckedIpv4Packet): void;
  drop(reason: (typeof POLICY_DROPS)[number]): void;
  /** Called when a packet is queued while nothing was queued before. */
  firstQueued(): void;
  /** The queued packets about to be sealed when the session starts sealing. */
  sealingQueued?(packets: readonly CheckedIpv4Packet[]): void;
}

export class SessionDataPlane {
  private readonly outbound = new Subject<readonly CheckedIpv4Packet[]>();
  private queue: CheckedIpv4Packet[] = [];
  private readonly subscription: Subscription;

  constructor(
    policy: Observable<DataPolicy>,
    private readonly handlers: PolicyHandlers,
    private readonly queueLimit = 64,
  ) {
    this.subscription = policy.pipe(switchMap((p) => this.pipelineFor(p))).subscribe();
  }

  /** Inner packets from the local side, for this session's peer. */
  send(packets: readonly CheckedIpv4Packet[]): void {
    this.outbound.next(packets);
  }

  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.subscription.unsubscribe();
    this.queue = [];
  }

  private pipelineFor(policy: DataPolicy): Observable<unknown> {
    switch (policy) {
      case 'seal':
        return concat(
          defer(() => {
            const queued = this.drainQueue();
            if (queued.length > 0) this.handlers.sealingQueued?.(queued);
            return of(queued);
          }),
          this.outbound,
        ).pipe(tap((batch) => this.each(batch, (p) => this.handlers.seal(p))));
      case 'queue':
        return this.outbound.pipe(tap((batch) => this.each(batch, (p) => this.enqueue(p))));
      case 'plain':
        return concat(
          defer(() => of(this.drainQueue())),
          this.outbound,
        ).pipe(tap((batch) => this.each(batch, (p) => this.handlers.plain(p))));
      case 'drop':
        return defer(() => {
          this.dropAll(this.drainQueue());
          return this.outbound.pipe(tap((batch) => this.dropAll(batch)));
        });
    }
  }

  private each(
    batch: readonly CheckedIpv4Packet[],
    handle: (packet: CheckedIpv4Packet) => void,
  ): void {
    for (const packet of batch) handle(packet);
  }

  private dropAll(batch: readonly CheckedIpv4Packet[]): void {
    for (const _ of batch) this.handlers.drop('session not usable');
  }

  private enqueue(packet: CheckedIpv4Packet): void {
    if (this.queue.length >= this.queueLimit) {
      this.handlers.drop('queue full while connecting');
      return;
    }
    this.queue.push(packet);
    if (this.queue.length === 1) this.handlers.firstQueued();
  }

  private drainQueue(): CheckedIpv4Packet[] {
    const drained = this.queue;
    this.queue = [];
    return drained;
  }
}
