import { defer, identity, retry, throwError, timer, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { check, checkOptional, expectFunction } from '../errors/checks.js';
import { finalError, notifyRetry, resolveRetryOptions, retryDelay, type ResolvedRetryOptions, type RetryOptions } from './retryPolicy.js';

/** What `onRetry` is told before each retry's wait starts. */
export interface RetryInfo {
  /** 1 for the first retry (since the last value, with `resetOnSuccess`). */
  readonly retry: number;
  /** The error the retry answers. */
  readonly error: unknown;
  /** How long the wait before resubscribing lasts, in whole milliseconds. */
  readonly delayMs: number;
}

export interface RetryWithBackoffConfig extends RetryOptions {
  /**
   * When true, a value emitted resets the retry count and the backoff sequence, so a
   * long-lived source gets `maxRetries` retries per failure streak instead of per lifetime.
   * @default false
   */
  readonly resetOnSuccess?: boolean;
  /** Told about each retry before its wait; a throw here does not change the outcome. */
  readonly onRetry?: (info: RetryInfo) => void;
}

interface RetrySettings extends ResolvedRetryOptions {
  readonly resetOnSuccess: boolean;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
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
 * @see {@link requeueWithBackoff} to retry through a queue, holding no slot during the wait
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
    // Retry 1 opens a sequence: the first failure, or the first one after a reset.
    if (retryCount === 1) previousDelayMs = undefined;
    // rxjs counts failures since the last reset, which is exactly the attempts made so far.
    const delayMs = retryDelay(error, retryCount, previousDelayMs, settings);
    if (delayMs === undefined) return throwError(() => finalError(error));
    previousDelayMs = delayMs;
    notifyRetry(settings.onRetry, { retry: retryCount, error, delayMs });
    return timer(delayMs, settings.scheduler);
  };
}

const expectConfig = (v: unknown): string | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v)) || typeof v === 'number'
    ? undefined
    : 'an integer from 0 and up, or an object with `maxRetries`';

const expectBoolean = (v: unknown): string | undefined => (typeof v === 'boolean' ? undefined : 'a boolean');

function resolveSettings(config: number | RetryWithBackoffConfig): RetrySettings {
  check('config', config, expectConfig);
  const options: RetryWithBackoffConfig = typeof config === 'number' ? { maxRetries: config } : config;
  const common = resolveRetryOptions(options);
  checkOptional('resetOnSuccess', options.resetOnSuccess, expectBoolean);
  checkOptional('onRetry', options.onRetry, expectFunction);
  return { ...common, resetOnSuccess: options.resetOnSuccess ?? false, onRetry: options.onRetry };
}
