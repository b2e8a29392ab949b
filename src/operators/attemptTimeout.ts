import { asyncScheduler, identity, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { check, checkOptional, expectFunction, expectNonNegativeOrInfinity, expectPositiveOrInfinity, expectScheduler } from '../errors/checks.js';
import { operate } from './operate.js';
import { schedulerClock } from '../internal/clock.js';
import { DeadlineRun, type TimeoutSettings } from './deadlineRun.js';

export interface AttemptTimeoutConfig {
  /** How long the source may take to complete, from subscription, in ms; > 0 or Infinity. */
  readonly timeoutMs: number;
  /**
   * How long, after the deadline, the source is still waited for to settle (complete or error)
   * before it is unsubscribed; >= 0 or Infinity. Until then the work behind it (a Promise that
   * ignores its signal) may still be running, so an enclosing `serverSlots` keeps its slot.
   * `0` unsubscribes at the deadline: right for Observable sources that stop when unsubscribed.
   * @default timeoutMs
   */
  readonly graceMs?: number;
  /**
   * Called when the grace period ends with the source still running, just before it is
   * unsubscribed (to log the abandoned work). A throw goes to rxjs's `config.onUnhandledError`.
   */
  readonly onAbandoned?: () => void;
  /** Where the deadline and the grace period are scheduled. @default asyncScheduler */
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

/**
 * Errors with a `TaskTimeoutError` if the source has not completed within `timeoutMs` of being
 * subscribed to, and keeps the source subscribed until the work behind it has settled.
 *
 * <span class="informal">A deadline for the whole attempt, not for the gap between values: the
 * source must finish in time. The attempt fails at the deadline, but it is over only when its
 * work has stopped.</span>
 *
 * When the deadline passes, `controller` (if any) is aborted with the error as its reason, and
 * from then on the source's values are ignored. The source stays subscribed until it completes or
 * errors (its work has settled) or `graceMs` has passed (then `onAbandoned` is called); only then
 * is it unsubscribed and does the output error with `new TaskTimeoutError(taskId, server,
 * timeoutMs)`, never with the source's own late error. So inside {@link serverSlots}, whose slot
 * is held until the work's output ends, a Promise handler that ignores its signal keeps its slot
 * for up to `graceMs` after the deadline, and the server never runs more than its limit meanwhile.
 * With `graceMs: 0` the source is unsubscribed at the deadline, before the abort (a source that
 * reacts to the abort is not heard any more), and the output errors at once.
 *
 * Values emitted before the deadline pass through. The deadline and the grace period are cancelled
 * when the output is unsubscribed, so no scheduled action outlives the subscription. Each
 * subscription has its own deadline, which makes the operator fit to sit inside
 * {@link retryWithBackoff}: every attempt gets the full time.
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
 * then errors with a `TaskTimeoutError` once the source has settled or been abandoned.
 */
export function attemptTimeout<T>(config: number | AttemptTimeoutConfig): MonoTypeOperatorFunction<T> {
  const settings = resolveSettings(config);
  if (settings.timeoutMs === Infinity) return identity;
  return operate<T, T>((source, subscriber) => new DeadlineRun(settings, subscriber).run(source));
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
  checkOptional('graceMs', options.graceMs, expectNonNegativeOrInfinity);
  checkOptional('onAbandoned', options.onAbandoned, expectFunction);
  checkOptional('scheduler', options.scheduler, expectScheduler);
  checkOptional('controller', options.controller, expectController);
  checkOptional('taskId', options.taskId, expectString);
  checkOptional('server', options.server, expectString);
  return {
    timeoutMs: options.timeoutMs,
    graceMs: options.graceMs ?? options.timeoutMs,
    onAbandoned: options.onAbandoned,
    clock: schedulerClock(options.scheduler ?? asyncScheduler),
    controller: options.controller,
    taskId: options.taskId ?? '',
    server: options.server ?? '',
  };
}
