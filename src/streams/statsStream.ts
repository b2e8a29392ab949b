import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { GuardedObservable } from '../internal/guardedObservable.js';
import type { StatsSnapshot } from '../types.js';

/**
 * `stats$`: the current snapshot at subscription, then one snapshot per scheduler turn in which
 * something changed (however many tasks moved), and a last one when the manager stops. Snapshots
 * are frozen: a subscriber cannot change what another one sees. With no subscriber, a change
 * costs one comparison. A subscriber that throws is reported and keeps its subscription.
 * @internal
 */
export class StatsStream {
  readonly #subscribers = new Set<Subscriber<StatsSnapshot>>();
  #flush: Subscription | undefined = undefined;
  #final: StatsSnapshot | undefined = undefined;
  #completed = false;
  readonly observable: Observable<StatsSnapshot>;

  constructor(
    readonly scheduler: SchedulerLike,
    readonly snapshot: () => StatsSnapshot,
    report: (error: unknown) => void,
  ) {
    this.observable = new GuardedObservable<StatsSnapshot>((subscriber) => {
      subscriber.next(this.current());
      if (this.#completed) {
        subscriber.complete();
        return undefined;
      }
      this.#subscribers.add(subscriber);
      return () => this.#subscribers.delete(subscriber);
    }, report);
  }

  /** The live snapshot, or the last one once stopped. */
  current(): StatsSnapshot {
    return this.#final ?? freeze(this.snapshot());
  }

  changed(): void {
    if (this.#subscribers.size === 0 || this.#flush !== undefined || this.#final !== undefined) return;
    this.#flush = this.scheduler.schedule(() => {
      this.#flush = undefined;
      if (this.#subscribers.size === 0 || this.#final !== undefined) return;
      const snapshot = freeze(this.snapshot());
      for (const subscriber of [...this.#subscribers]) subscriber.next(snapshot);
    });
  }

  /** Takes the last snapshot (while the pools are still known) and stops flushing. */
  freeze(): void {
    if (this.#final !== undefined) return;
    this.#final = freeze(this.snapshot());
    this.#flush?.unsubscribe();
    this.#flush = undefined;
  }

  /** Sends the last snapshot and completes (user code: run it once no transition is under way). */
  complete(): void {
    if (this.#completed) return;
    this.freeze();
    this.#completed = true;
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    for (const subscriber of subscribers) {
      subscriber.next(this.#final as StatsSnapshot);
      subscriber.complete();
    }
  }
}

/** Deep enough: the snapshot, its two maps and each entry. */
function freeze(snapshot: StatsSnapshot): StatsSnapshot {
  for (const stats of Object.values(snapshot.providers)) Object.freeze(stats);
  for (const stats of Object.values(snapshot.servers)) Object.freeze(stats);
  Object.freeze(snapshot.providers);
  Object.freeze(snapshot.servers);
  return Object.freeze(snapshot);
}
