import {
  asyncScheduler,
  defer,
  identity,
  retry,
  throwError,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { check, checkOptional, expectFunction, expectNonNegativeInteger, expectScheduler } from '../errors/checks.js';
import { isNonRetryableError } from '../errors/guards.js';
import { longTimer } from '../internal/longDelay.js';
import type { BackoffOptions } from '../types.js';
import { backoffDelay, resolveBackoff } from './backoff.js';
import { reportHookError } from './reportHookError.js';

/** What `onRetry` is told before each retry's wait starts. */
export interface RetryInfo {
  /** 1 for the first retry (since the last value, with `resetOnSuccess`). */
  readonly retry: number;
  /** The error the retry answers. */
  readonly error: unknown;
  /** How long the wait before resubscribing lasts, in whole milliseconds. */
  readonly delayMs: number;
}

export interface RetryWithBackoffConfig {
  /** Resubscriptions allowed after the first failure; integer >= 0. 0 makes the operator a no-op. */
  readonly maxRetries: number;
  /** The wait between attempts. @default defaultBackoff (100 ms doubling to 30 s, full jitter) */
  readonly backoff?: BackoffOptions;
  /**
   * Decides whether an error deserves another attempt; a falsy result or a throw stops at once.
   * `NonRetryableError`s never get here: they always stop. @default every error is retryable
   */
  readonly isRetryable?: (error: unknown) => boolean;
  /**
   * When true, a value emitted resets the retry count and the backoff sequence, so a
   * long-lived source gets `maxRetries` retries per failure streak instead of per lifetime.
   * @default false
   */
  readonly resetOnSuccess?: boolean;
  /** Where the waits are scheduled. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** The jitter source, returning numbers in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Told about each retry before its wait; a throw here does not change the outcome. */
  readonly onRetry?: (info: RetryInfo) => void;
}

interface RetrySettings {
  readonly maxRetries: number;
  readonly backoff: Required<BackoffOptions>;
  readonly isRetryable: ((error: unknown) => boolean) | undefined;
  readonly resetOnSuccess: boolean;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
}

/**
 * The one retry decision, shared by {@link retryWithBackoff} and the task manager.
 *
 * <span class="informal">Retry while attempts remain, unless the error says or is judged
 * otherwise.</span>
 *
 * Returns false when `attemptsMade > maxRetries` (so `maxRetries + 1` attempts run at most),
 * when the error is a `NonRetryableError`, or when `isRetryable` returns a falsy value or throws:
 * a predicate that cannot decide is read as "do not retry", so a bug in it fails fast instead
 * of retrying blindly.
 *
 * ## Example
 *
 * ```ts
 * import { shouldRetry } from 'smt-rx/operators';
 *
 * const transient = (e: unknown) => e instanceof Error && e.message.includes('503');
 * console.log(shouldRetry(new Error('HTTP 503'), 1, 3, transient));
 * // true
 * console.log(shouldRetry(new Error('HTTP 503'), 4, 3, transient));
 * // false
 * ```
 *
 * @param error What the last attempt failed with.
 * @param attemptsMade Attempts run so far: 1 after the first attempt.
 * @param maxRetries Retries allowed in all.
 * @param isRetryable Optional judgement of the error; absent means every error is retryable.
 * @returns Whether to run another attempt.
 */
export function shouldRetry(
  error: unknown,
  attemptsMade: number,
  maxRetries: number,
  isRetryable?: (e: unknown) => boolean,
): boolean {
  // Written as a negated <= so that a NaN count also stops.
  if (!(attemptsMade <= maxRetries)) return false;
  if (isNonRetryableError(error)) return false;
  if (isRetryable === undefined) return true;
  try {
    return Boolean(isRetryable(error));
  } catch {
    return false;
  }
}

/**
 * Resubscribes to the source after an error, up to `maxRetries` times, waiting an exponential
 * backoff with jitter between attempts.
 *
 * <span class="informal">Like `retry`, but it waits longer after each failure, and some errors
 * stop it at once.</span>
 *
 * Each retry re-subscribes the source, so the source must redo its work on subscription: use a
 * cold observable, and wrap promises and other eager work in `defer(() => ...)`.
 *
 * Retry n waits `backoffDelay(n, previousDelay, backoff, random)` on `scheduler`
 * (see {@link backoffDelay}), after `onRetry` has been told. It stops and errors:
 * - when all `maxRetries + 1` attempts have failed, with the last error;
 * - at once, when the error is a `NonRetryableError`, with the error's `cause`;
 * - at once, when `isRetryable(error)` is falsy or throws, with the error itself.
 *
 * A `NonRetryableError` always errors with its `cause`, even when it is also the last allowed
 * failure. `onRetry` cannot break the chain: when it throws, the retry goes ahead as planned and
 * the exception goes to rxjs's `config.onUnhandledError` when one is set (otherwise it is
 * dropped). With `resetOnSuccess`, a value emitted resets the retry count and the backoff
 * sequence. Each subscription to the result has its own count and backoff state. Unsubscribing
 * during a wait cancels the wait.
 *
 * Options are checked when the operator is created: a wrong one throws a `TypeError` naming
 * the field. `maxRetries: 0` returns `identity`.
 *
 * ## Example
 *
 * ```ts
 * import { defer } from 'rxjs';
 * import { retryWithBackoff } from 'smt-rx/operators';
 *
 * const status$ = defer(() => fetch('https://api.example.com/status').then((r) => {
 *   if (!r.ok) throw new Error(`HTTP ${r.status}`);
 *   return r.json();
 * })).pipe(
 *   retryWithBackoff({
 *     maxRetries: 4,
 *     backoff: { initialDelayMs: 200, maxDelayMs: 5_000, jitter: 'equal' },
 *     isRetryable: (e) => e instanceof Error && /HTTP 5\d\d/.test(e.message),
 *     onRetry: ({ retry, delayMs }) => console.log(`retry ${retry} in ${delayMs} ms`),
 *   }),
 * );
 * // retry 1 in 153 ms
 * // retry 2 in 311 ms
 * // ...then the status, or the last error after 5 attempts
 * ```
 *
 * @see {@link shouldRetry}
 * @see {@link backoffDelay}
 *
 * @param config `maxRetries` alone, or a {@link RetryWithBackoffConfig}.
 * @returns A function that returns an Observable that mirrors the source, resubscribing to it
 * after retryable errors.
 */
export function retryWithBackoff<T>(config: number | RetryWithBackoffConfig): MonoTypeOperatorFunction<T> {
  const settings = resolveSettings(config);
  if (settings.maxRetries === 0) return identity;
  // defer: the backoff state (the previous delay) belongs to one subscription, not the operator.
  return (source) =>
    defer(() => source.pipe(retry<T>({ delay: createRetryPlan(settings), resetOnSuccess: settings.resetOnSuccess })));
}

/** The `delay` function of rxjs `retry`: a timer to retry after, or an error to stop with. */
function createRetryPlan(settings: RetrySettings): (error: unknown, retryCount: number) => Observable<unknown> {
  let previousDelayMs: number | undefined;
  return (error, retryCount) => {
    // rxjs counts failures since the last reset, which is exactly the attempts made so far.
    if (!shouldRetry(error, retryCount, settings.maxRetries, settings.isRetryable)) {
      return throwError(() => (isNonRetryableError(error) ? error.cause : error));
    }
    // Retry 1 opens a sequence: the first failure, or the first one after a reset.
    if (retryCount === 1) previousDelayMs = undefined;
    const delayMs = backoffDelay(retryCount, previousDelayMs, settings.backoff, settings.random);
    previousDelayMs = delayMs;
    notifyRetry(settings.onRetry, { retry: retryCount, error, delayMs });
    return longTimer(delayMs, settings.scheduler);
  };
}

function notifyRetry(onRetry: ((info: RetryInfo) => void) | undefined, info: RetryInfo): void {
  if (onRetry === undefined) return;
  try {
    onRetry(info);
  } catch (hookError) {
    // An observer's bug must not turn a recoverable failure into a fatal one.
    reportHookError(hookError);
  }
}


const expectConfig = (v: unknown): string | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v)) || typeof v === 'number'
    ? undefined
    : 'an integer from 0 to 2^53 - 1, or an object with `maxRetries`';

const expectBoolean = (v: unknown): string | undefined => (typeof v === 'boolean' ? undefined : 'a boolean');


function resolveSettings(config: number | RetryWithBackoffConfig): RetrySettings {
  check('config', config, expectConfig);
  const options: RetryWithBackoffConfig = typeof config === 'number' ? { maxRetries: config } : config;
  check('maxRetries', options.maxRetries, expectNonNegativeInteger);
  checkOptional('isRetryable', options.isRetryable, expectFunction);
  checkOptional('resetOnSuccess', options.resetOnSuccess, expectBoolean);
  checkOptional('scheduler', options.scheduler, expectScheduler);
  checkOptional('random', options.random, expectFunction);
  checkOptional('onRetry', options.onRetry, expectFunction);
  return {
    maxRetries: options.maxRetries,
    backoff: resolveBackoff(options.backoff, 'backoff'),
    isRetryable: options.isRetryable,
    resetOnSuccess: options.resetOnSuccess ?? false,
    scheduler: options.scheduler ?? asyncScheduler,
    random: options.random ?? Math.random,
    onRetry: options.onRetry,
  };
}
