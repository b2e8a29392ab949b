import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import type { StatsSnapshot } from '../types.js';

/**
 * `stats$`: the current snapshot at subscription, then one snapshot per scheduler turn in which
 * something changed (however many tasks moved), and a last one when the manager stops.
 * With no subscriber, a change costs one comparison.
 * @internal
 */
export class StatsStream {
  readonly #subscribers = new Set<Subscriber<StatsSnapshot>>();
  #flush: Subscription | undefined = undefined;
  #final: StatsSnapshot | undefined = undefined;
  readonly observable = new Observable<StatsSnapshot>((subscriber) => {
    subscriber.next(this.current());
    if (this.#final !== undefined) {
      subscriber.complete();
      return undefined;
    }
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  });

  constructor(
    readonly scheduler: SchedulerLike,
    readonly snapshot: () => StatsSnapshot,
  ) {}

  /** The live snapshot, or the last one once stopped. */
  current(): StatsSnapshot {
    return this.#final ?? this.snapshot();
  }

  changed(): void {
    if (this.#subscribers.size === 0 || this.#flush !== undefined) return;
    this.#flush = this.scheduler.schedule(() => {
      this.#flush = undefined;
      if (this.#subscribers.size === 0) return;
      const snapshot = this.snapshot();
      for (const subscriber of this.#subscribers) subscriber.next(snapshot);
    });
  }

  /** Takes the last snapshot (call it while the pools are still known), sends it and completes. */
  stop(): void {
    if (this.#final !== undefined) return;
    this.#final = this.snapshot();
    this.#flush?.unsubscribe();
    this.#flush = undefined;
    for (const subscriber of this.#subscribers) {
      subscriber.next(this.#final);
      subscriber.complete();
    }
    this.#subscribers.clear();
  }
}
