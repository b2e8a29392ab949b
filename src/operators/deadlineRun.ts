import type { Observable, SchedulerLike, Subscriber, Subscription } from 'rxjs';
import { TaskTimeoutError } from '../errors/TaskTimeoutError.js';
import { reportHookError } from './reportHookError.js';
import { scheduleAfter } from '../internal/longDelay.js';
import { subscribeToSource } from './sourceObserver.js';

/** The checked options of `attemptTimeout`. @internal */
export interface TimeoutSettings {
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly onAbandoned: (() => void) | undefined;
  readonly scheduler: SchedulerLike;
  readonly controller: AbortController | undefined;
  readonly taskId: string;
  readonly server: string;
}

/**
 * One subscription of `attemptTimeout`: the source raced against its deadline, then given up to
 * `graceMs` to settle. The output errors with the timeout only once the source has settled or been
 * abandoned, so whoever holds a slot for this output holds it while the work may still run.
 * @internal
 */
export function runWithDeadline<T>(source: Observable<T>, subscriber: Subscriber<T>, settings: TimeoutSettings): void {
  let timeout: TaskTimeoutError | undefined;
  let sourceSubscription: Subscription | undefined = undefined;
  let subscribed = false;

  const abandon = (): void => {
    if (settings.onAbandoned !== undefined) {
      try {
        settings.onAbandoned();
      } catch (error) {
        reportHookError(error);
      }
    }
    sourceSubscription?.unsubscribe();
    subscriber.error(timeout);
  };

  const onDeadline = (): void => {
    const error = new TaskTimeoutError(settings.taskId, settings.server, settings.timeoutMs);
    timeout = error;
    if (settings.graceMs === 0 || !subscribed) {
      // Unsubscribe first: a source that reacts to the abort must not be heard any more.
      sourceSubscription?.unsubscribe();
      settings.controller?.abort(error);
      subscriber.error(error);
      return;
    }
    settings.controller?.abort(error);
    // A source that settled on the abort has ended the output already; Infinity waits for it.
    if (subscriber.closed || settings.graceMs === Infinity) return;
    // Added to the output: unsubscribing during the grace period cancels it.
    subscriber.add(scheduleAfter(settings.scheduler, settings.graceMs, abandon));
  };

  subscriber.add(scheduleAfter(settings.scheduler, settings.timeoutMs, onDeadline));
  // A scheduler that ran the deadline synchronously has already failed the attempt.
  if (subscriber.closed) return;
  subscribed = true;
  sourceSubscription = subscribeToSource(source, subscriber, {
    // Values after the deadline belong to an attempt that has already failed.
    next: (value) => {
      if (timeout === undefined) subscriber.next(value);
    },
    // Settling after the deadline ends the grace period; the error is the timeout's, never the
    // source's own late one (often its reaction to the abort).
    error: (error) => subscriber.error(timeout ?? error),
    complete: () => (timeout === undefined ? subscriber.complete() : subscriber.error(timeout)),
  });
}
