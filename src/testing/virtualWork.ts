import { Observable, type SchedulerLike } from 'rxjs';

/**
 * A handler's work in virtual time: emits `value` after `ms` on `scheduler`, then completes.
 * Unsubscribing (timeout, cancel) cancels it, as a well-behaved handler would.
 *
 * ## Example
 * ```ts
 * const provider = { name: 'p', servers: ['s'], handle: () => virtualWork(250, 'ok', scheduler) };
 * ```
 */
export function virtualWork<T>(ms: number, value: T, scheduler: SchedulerLike): Observable<T> {
  return new Observable<T>((subscriber) =>
    scheduler.schedule(() => {
      subscriber.next(value);
      subscriber.complete();
    }, ms),
  );
}
