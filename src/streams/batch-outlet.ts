/**
 * Where an engine's output for one input batch gathers: items pushed while a batch of
 * datagrams is handled leave together, as one batch, when the batch is done (`flush`).
 * Subscribers take the batches (the daemons write them to the TUN in one call) or, for
 * embedders that prefer it, the same items one at a time.
 */
import { mergeAll, type Observable, Subject } from 'rxjs';

export class BatchOutlet<T> {
  private readonly subject = new Subject<readonly T[]>();
  private pending: T[] = [];
  /** Each flushed batch; subscribers may keep the array. */
  readonly batches: Observable<readonly T[]> = this.subject.asObservable();
  /** The items of every batch, in order. */
  readonly items: Observable<T> = this.batches.pipe(mergeAll());

  push(item: T): void {
    this.pending.push(item);
  }

  /** Emits what was pushed since the last flush, if anything. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.subject.next(batch);
  }

  complete(): void {
    this.pending = [];
    this.subject.complete();
  }
}
