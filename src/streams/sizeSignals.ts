import type { Observable } from 'rxjs';
import { invalidMessage } from '../errors/invalidOption.js';
import { GuardedObservable } from '../internal/guardedObservable.js';
import { Effect } from './effects.js';
import type { ManagerCore } from './managerCore.js';
import type { Lane } from './taskRecord.js';

/** What a waiter looks at: tasks queued (waiting for a slot, paused, or delayed) and tasks not finished. */
export interface Sizes {
  readonly queued: number;
  readonly pending: number;
}

interface Waiter {
  readonly lanes: readonly Lane[] | undefined;
  readonly holds: (sizes: Sizes) => boolean;
  readonly done: () => void;
}

/** The three conditions of `onIdle`, `onEmpty` and `onSizeLessThan`. */
export const whenIdle = (s: Sizes): boolean => s.pending === 0;
export const whenEmpty = (s: Sizes): boolean => s.queued === 0;
export const whenSizeBelow =
  (n: number) =>
  (s: Sizes): boolean =>
    s.queued < n;

/**
 * `onIdle`, `onEmpty`, `onSizeLessThan` and their Observable forms. A waiter is checked once the
 * transition that changed the sizes is whole (an effect: a task between its queue and its slot is
 * never seen), and only while someone waits: the core calls `changed()` through its stats hook,
 * which is unset when nobody waits, so a manager without waiters pays nothing.
 * @internal
 */
export class SizeSignals {
  #waiters: Waiter[] = [];
  #checkQueued = false;

  constructor(readonly core: ManagerCore) {}

  promise(provider: string | undefined, holds: (sizes: Sizes) => boolean): Promise<void> {
    const lanes = this.#lanesOf(provider);
    if (typeof lanes === 'string') return Promise.reject(new TypeError(lanes));
    return new Promise((resolve) => this.#add({ lanes, holds, done: resolve }));
  }

  observable(provider: string | undefined, holds: (sizes: Sizes) => boolean): Observable<void> {
    return new GuardedObservable<void>(
      (subscriber) => {
        const lanes = this.#lanesOf(provider);
        if (typeof lanes === 'string') {
          subscriber.error(new TypeError(lanes));
          return undefined;
        }
        const waiter: Waiter = {
          lanes,
          holds,
          done: () => {
            subscriber.next();
            subscriber.complete();
          },
        };
        this.#add(waiter);
        return () => this.#remove(waiter);
      },
      (error) => this.core.reportThrow('size signal subscriber', error),
    );
  }

  /** Sizes changed (inside a transition): check the waiters once it is whole. */
  changed(): void {
    if (this.#checkQueued) return;
    this.#checkQueued = true;
    this.core.defer(Effect.CheckSizes, undefined);
  }

  /** Effect: every waiter whose condition holds now is done (and forgotten). */
  check(): void {
    this.#checkQueued = false;
    const ready = this.#waiters.filter((w) => w.holds(sizesOf(w.lanes ?? this.core.lanes.values())));
    if (ready.length === 0) return;
    for (const waiter of ready) this.#remove(waiter);
    for (const waiter of ready) waiter.done();
  }

  #add(waiter: Waiter): void {
    this.#waiters.push(waiter);
    this.core.onSizes = () => this.changed();
    this.changed();
  }

  #remove(waiter: Waiter): void {
    this.#waiters = this.#waiters.filter((w) => w !== waiter);
    if (this.#waiters.length === 0) this.core.onSizes = undefined;
  }

  /** The lanes a waiter watches (undefined: all of them, those added later included), or what is wrong. */
  #lanesOf(provider: string | undefined): readonly Lane[] | undefined | string {
    if (provider === undefined) return undefined;
    const lane = this.core.lanes.get(provider);
    return lane === undefined ? invalidMessage('provider', 'the name of a provider of this manager', provider) : [lane];
  }
}

function sizesOf(lanes: Iterable<Lane>): Sizes {
  let queued = 0;
  let pending = 0;
  for (const lane of lanes) {
    const size = lane.queued + lane.delayed;
    queued += size;
    pending += size + lane.waiting + lane.running;
  }
  return { queued, pending };
}
