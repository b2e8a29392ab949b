import type { Clock, ClockTarget } from '../internal/clock.js';

const RETRY = 2;

/**
 * One item's retries through a queue: the backoff between a failed attempt and the item's return
 * to the queue, during which it holds no slot. The state of `requeueWithBackoff` (per item) and of
 * the task manager (per task, made at its first retry), so both book a retry the same way.
 *
 * The item's own object books the wait (it is the clock's target): a retry costs no closure.
 * @internal
 */
export abstract class RetryWait<H> implements ClockTarget {
  /** The last backoff delay (decorrelated jitter grows from it). */
  lastDelayMs: number | undefined = undefined;
  /** When the retry may start, on the clock. */
  retryAt = 0;
  /** The booked end of the wait, while waiting. */
  backoff: H | undefined = undefined;

  /** The wait is over: hand the item back to its queue. */
  protected abstract due(): void;

  /** The retry is decided: it waits `delayMs` (from `retryDelay`) counted from the failure. */
  plan(delayMs: number, failedAt: number): void {
    this.lastDelayMs = delayMs;
    this.retryAt = failedAt + delayMs;
  }

  /**
   * Books the wait, to end at `retryAt`, or at once when that has passed (the failed attempt took
   * longer to settle than the backoff: the retry never overlaps it, so book only once it has).
   */
  book(clock: Clock<H>): void {
    this.backoff = clock.after(Math.max(0, this.retryAt - clock.now()), this, RETRY);
  }

  /** Calls the wait off (a cancel, an unsubscription). */
  cancel(clock: Clock<H>): void {
    clock.cancel(this.backoff);
    this.backoff = undefined;
  }

  onTime(): void {
    this.backoff = undefined;
    this.due();
  }
}
