import { Observable, Subscription, type SchedulerLike } from 'rxjs';

/**
 * The longest delay a Node or browser timer keeps: 2³¹ − 1 ms (about 24.8 days). A longer one
 * fires after 1 ms (with a `TimeoutOverflowWarning`), so longer waits are chained from waits of
 * at most this length.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `scheduler.schedule(work, delayMs)` for any finite delay: past `MAX_TIMER_MS` it waits in steps
 * of at most that length, so a 30-day timeout waits 30 days. Unsubscribing cancels the step
 * pending. `Infinity` never fires and books nothing.
 */
export function scheduleAfter(scheduler: SchedulerLike, delayMs: number, work: () => void): Subscription {
  if (delayMs <= MAX_TIMER_MS) return scheduler.schedule(work, delayMs);
  const chain = new Subscription();
  if (delayMs === Infinity) return chain;
  let step: Subscription | undefined;
  const wait = (left: number): void => {
    if (step !== undefined) chain.remove(step);
    step = left > MAX_TIMER_MS ? scheduler.schedule(() => wait(left - MAX_TIMER_MS), MAX_TIMER_MS) : scheduler.schedule(work, left);
    chain.add(step);
  };
  wait(delayMs);
  return chain;
}

/** `timer(delayMs, scheduler)` for any finite delay (see `scheduleAfter`): emits 0, then completes. */
export function longTimer(delayMs: number, scheduler: SchedulerLike): Observable<0> {
  return new Observable<0>((subscriber) =>
    scheduleAfter(scheduler, delayMs, () => {
      subscriber.next(0);
      subscriber.complete();
    }),
  );
}
