import {
  asyncScheduler,
  identity,
  Subject,
  takeUntil,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import { check, checkOptional, expectPositiveOrInfinity, expectScheduler } from '../errors/checks.js';
import { TaskTimeoutError } from '../errors/TaskTimeoutError.js';
import { operate } from './operate.js';

export interface AttemptTimeoutConfig {
  /** How long the source may take to complete, from subscription, in ms; > 0 or Infinity. */
  readonly timeoutMs: number;
  /** Where the deadline is scheduled. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /**
   * Aborted, with the `TaskTimeoutError` as its reason, when the deadline passes, so the work
   * behind the source (a `fetch` given its `signal`) stops too. It is not aborted on completion,
   * error or unsubscription, and it stays aborted: give each attempt a controller of its own.
   */
  readonly controller?: AbortController;
  /** Put in the `TaskTimeoutError`. @default '' */
  readonly taskId?: string;
  /** Put in the `TaskTimeoutError`. @default '' */
  readonly server?: string;
}

interface TimeoutSettings {
  readonly timeoutMs: number;
  readonly scheduler: SchedulerLike;
  readonly controller: AbortController | undefined;
  readonly taskId: string;
  readonly server: string;
}

/**
 * Errors with a `TaskTimeoutError` if the source has not completed within `timeoutMs` of being
 * subscribed to.
 *
 * <span class="informal">A deadline for the whole attempt, not for the gap between values: the
 * source must finish in time.</span>
 *
 * When the deadline passes, the source is unsubscribed first, then `controller` (if any) is
 * aborted with the error as its reason, then the output errors with
 * `new TaskTimeoutError(taskId ?? '', server ?? '', timeoutMs)`. Unsubscribing first means that a
 * source which reacts to the abort by erroring cannot replace the timeout error with its own.
 * Values emitted before the deadline pass through. The deadline is cancelled when the source
 * completes or errors, and when the output is unsubscribed, so no scheduled action outlives the
 * subscription. Each subscription has its own deadline, which makes the operator fit to sit
 * inside {@link retryWithBackoff}: every attempt gets the full time.
 *
 * `timeoutMs: Infinity` returns `identity`. Options are checked when the operator is created: a
 * wrong one throws a `TypeError` naming the field.
 *
 * ## Example
 *
 * ```ts
 * import { defer } from 'rxjs';
 * import { attemptTimeout } from 'smt-rx/operators';
 *
 * const controller = new AbortController();
 * defer(() => fetch('https://slow.example.com/render', { signal: controller.signal }))
 *   .pipe(attemptTimeout({ timeoutMs: 5_000, controller, taskId: 'render-42', server: 'https://slow.example.com' }))
 *   .subscribe({ error: (e) => console.log(e.message) });
 * // Task 'render-42' timed out after 5000 ms on server 'https://slow.example.com'
 * ```
 *
 * @see {@link retryWithBackoff}
 *
 * @param config `timeoutMs` alone, or an {@link AttemptTimeoutConfig}.
 * @returns A function that returns an Observable that mirrors the source until the deadline,
 * then errors with a `TaskTimeoutError`.
 */
export function attemptTimeout<T>(config: number | AttemptTimeoutConfig): MonoTypeOperatorFunction<T> {
  const settings = resolveSettings(config);
  if (settings.timeoutMs === Infinity) return identity;
  return operate<T, T>((source, subscriber) => runWithDeadline(source, subscriber, settings));
}

/** One subscription: the source, raced against its deadline. */
function runWithDeadline<T>(source: Observable<T>, subscriber: Subscriber<T>, settings: TimeoutSettings): void {
  // `takeUntil(stop)` links the source to this subscription while the source is still being
  // subscribed to, so even a synchronous source stops the moment the output is unsubscribed.
  const stop = new Subject<void>();
  let timedOut = false;
  subscriber.add(() => stop.next());
  subscriber.add(
    settings.scheduler.schedule(() => {
      timedOut = true;
      // Unsubscribe first: a source that reacts to the abort must not be heard any more.
      stop.next();
      const error = new TaskTimeoutError(settings.taskId, settings.server, settings.timeoutMs);
      settings.controller?.abort(error);
      subscriber.error(error);
    }, settings.timeoutMs),
  );
  // A scheduler that ran the deadline synchronously has already failed the attempt.
  if (subscriber.closed) return;
  source.pipe(takeUntil(stop)).subscribe({
    next: (value) => subscriber.next(value),
    error: (error: unknown) => subscriber.error(error),
    complete: () => {
      // takeUntil completes when stopped at the deadline; the output errors instead.
      if (!timedOut) subscriber.complete();
    },
  });
}

const expectConfig = (v: unknown): string | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v)) || typeof v === 'number'
    ? undefined
    : 'a number above 0, Infinity, or an object with `timeoutMs`';

const expectString = (v: unknown): string | undefined => (typeof v === 'string' ? undefined : 'a string');


// Duck-typed too: polyfilled and cross-realm controllers are not instances of this realm's class.
const expectController = (v: unknown): string | undefined =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Partial<AbortController>).abort === 'function' &&
  typeof (v as Partial<AbortController>).signal === 'object'
    ? undefined
    : 'an AbortController';

function resolveSettings(config: number | AttemptTimeoutConfig): TimeoutSettings {
  check('config', config, expectConfig);
  const options: AttemptTimeoutConfig = typeof config === 'number' ? { timeoutMs: config } : config;
  check('timeoutMs', options.timeoutMs, expectPositiveOrInfinity);
  checkOptional('scheduler', options.scheduler, expectScheduler);
  checkOptional('controller', options.controller, expectController);
  checkOptional('taskId', options.taskId, expectString);
  checkOptional('server', options.server, expectString);
  return {
    timeoutMs: options.timeoutMs,
    scheduler: options.scheduler ?? asyncScheduler,
    controller: options.controller,
    taskId: options.taskId ?? '',
    server: options.server ?? '',
  };
}
