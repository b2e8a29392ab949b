import { Observable, type SchedulerLike } from 'rxjs';

/**
 * A handler's work in virtual time: emits `value` after `ms` on `scheduler`, then completes.
 * Unsubscribing (timeout, cancel) cancels it, as a well-behaved handler would.
 *
 * @example
 * ```ts
 * import { TestScheduler } from 'rxjs/testing';
 * import { defineProvider } from 'smt-rx';
 * import { virtualWork } from 'smt-rx/testing';
 *
 * const scheduler = new TestScheduler((actual, expected) => console.assert(actual === expected));
 * const provider = defineProvider({ name: 'p', servers: ['s'], handle: () => virtualWork(250, 'ok', scheduler) });
 * ```
 * @since 0.1.0
 */
export function virtualWork<T>(ms: number, value: T, scheduler: SchedulerLike): Observable<T> {
  return new Observable<T>((subscriber) =>
    scheduler.schedule(() => {
      subscriber.next(value);
      subscriber.complete();
    }, ms),
  );
}
