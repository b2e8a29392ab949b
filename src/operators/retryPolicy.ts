import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { check, checkOptional, expectFunction, expectNonNegativeInteger, expectScheduler } from '../errors/checks.js';
import { isNonRetryableError } from '../errors/guards.js';
import type { BackoffOptions } from '../types.js';
import { backoffDelay, resolveBackoff } from './backoff.js';
import { reportHookError } from './reportHookError.js';

/** The options every retry of smt-rx takes: `retryWithBackoff`, `requeueWithBackoff`. */
export interface RetryOptions {
  /** Retries allowed after the first failure; integer >= 0. */
  readonly maxRetries: number;
  /** The wait between attempts. @default defaultBackoff (100 ms doubling to 30 s, full jitter) */
  readonly backoff?: BackoffOptions;
  /**
   * Decides whether an error deserves another attempt; a falsy result or a throw stops at once.
   * `NonRetryableError`s never get here: they always stop. @default every error is retryable
   */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Where the waits are scheduled. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** The jitter source, returning numbers in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** What decides whether a failure is retried and after how long (the task manager's too). @internal */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly backoff: Required<BackoffOptions>;
  readonly isRetryable: ((error: unknown) => boolean) | undefined;
  readonly random: () => number;
}

/** @internal */
export interface ResolvedRetryOptions extends RetryPolicy {
  readonly scheduler: SchedulerLike;
}

/** Checks the common retry options (a `TypeError` naming the field) and fills in the defaults. @internal */
export function resolveRetryOptions(options: RetryOptions): ResolvedRetryOptions {
  check('maxRetries', options.maxRetries, expectNonNegativeInteger);
  checkOptional('isRetryable', options.isRetryable, expectFunction);
  checkOptional('scheduler', options.scheduler, expectScheduler);
  checkOptional('random', options.random, expectFunction);
  return {
    maxRetries: options.maxRetries,
    backoff: resolveBackoff(options.backoff, 'backoff'),
    isRetryable: options.isRetryable,
    scheduler: options.scheduler ?? asyncScheduler,
    random: options.random ?? Math.random,
  };
}

/**
 * The one retry decision, shared by {@link retryWithBackoff}, {@link requeueWithBackoff} and the
 * task manager.
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
 * Is the failure retried, and after how long: the delay before the next attempt in whole
 * milliseconds ({@link backoffDelay} of retry `attemptsMade`), or `undefined` to stop
 * ({@link shouldRetry}). `isRetryable` and `random` are user code: a caller that must not run
 * user code in the middle of a change calls this outside it.
 * @internal
 */
export function retryDelay(error: unknown, attemptsMade: number, previousDelayMs: number | undefined, policy: RetryPolicy): number | undefined {
  if (!shouldRetry(error, attemptsMade, policy.maxRetries, policy.isRetryable)) return undefined;
  return backoffDelay(attemptsMade, previousDelayMs, policy.backoff, policy.random);
}

/** What a failure that is not retried ends with: a `NonRetryableError`'s cause, any other error itself. @internal */
export function finalError(error: unknown): unknown {
  return isNonRetryableError(error) ? error.cause : error;
}

/** Tells an `onRetry` hook; its throw is reported and changes nothing. @internal */
export function notifyRetry<I>(onRetry: ((info: I) => void) | undefined, info: I): void {
  if (onRetry === undefined) return;
  try {
    onRetry(info);
  } catch (hookError) {
    // An observer's bug must not turn a recoverable failure into a fatal one.
    reportHookError(hookError);
  }
}
