import type { MonoTypeOperatorFunction, Observable, Subscriber, Subscription, Unsubscribable } from 'rxjs';
import { check, checkOptional, expectFunction } from '../errors/checks.js';
import { type Clock, schedulerClock } from '../internal/clock.js';
import { operate } from './operate.js';
import { finalError, notifyRetry, resolveRetryOptions, retryDelay, type RetryOptions, type RetryPolicy } from './retryPolicy.js';
import type { RetryInfo } from './retryWithBackoff.js';
import { RetryWait } from './retryWait.js';
import { subscribeToSource } from './sourceObserver.js';

/** What one attempt at an item gave: its value, or the error it failed with. */
export type AttemptResult<T, V> =
  | { readonly item: T; readonly ok: true; readonly value: V }
  | { readonly item: T; readonly ok: false; readonly error: unknown };

/** What `onRetry` is told: the item retried, which retry, the error it answers, the wait. */
export interface RequeueInfo<T> extends RetryInfo {
  readonly item: T;
}

export interface RequeueWithBackoffConfig<T> extends RetryOptions {
  /**
   * Hands an item back to the source of the queue its attempts came from (for instance
   * `(job) => jobs$.next(job)`), once its backoff is over. A throw errors the output.
   */
  readonly requeue: (item: T) => void;
  /** Told about each retry before its wait; a throw here does not change the outcome. */
  readonly onRetry?: (info: RequeueInfo<T>) => void;
}

interface RequeueSettings<T> extends RetryPolicy {
  readonly clock: Clock<Subscription>;
  readonly requeue: (item: T) => void;
  readonly onRetry: ((info: RequeueInfo<T>) => void) | undefined;
}

/**
 * Retries failed attempts through their queue: after a backoff, the item is handed back to the
 * queue's source, where it waits for a slot at its priority like any other item.
 *
 * <span class="informal">`retryWithBackoff` for a pipeline of many items: the retry waits out its
 * backoff holding no server slot, and then queues again instead of jumping the queue.</span>
 *
 * Placed after a concurrency operator such as {@link prioritySlots} whose work emits one
 * {@link AttemptResult} per attempt. A result that succeeded passes through. A failure is judged
 * like `retryWithBackoff` judges it ({@link shouldRetry}: `maxRetries`, `isRetryable`,
 * `NonRetryableError`); if it is retried, `onRetry` is told, and `backoffDelay(n, previous,
 * backoff, random)` later `requeue(item)` is called; otherwise it passes through as the item's
 * final result (with a `NonRetryableError`'s `cause` as its error). So the output carries each
 * item's one final result.
 *
 * Items are told apart by identity: hand the same object back, and its count goes on (retry n of an
 * item is its n-th failure in a row). Nothing of an item is kept once its final result has passed
 * (and the count is held weakly: an item dropped elsewhere is not kept alive). The output completes
 * when the source has completed and no retry is waiting; an error of the source errors it at once.
 * Unsubscribing cancels the waits: their items are not handed back.
 *
 * Options are checked when the operator is created: a wrong one throws a `TypeError` naming the
 * field.
 *
 * ## Example
 *
 * ```ts
 * import { catchError, map, of, Subject, type Observable } from 'rxjs';
 * import { localSlotCoordinator } from 'smt-rx';
 * import { LevelQueue, prioritySlots, requeueWithBackoff, type AttemptResult, type Ranked } from 'smt-rx/operators';
 *
 * interface Job extends Ranked { readonly id: string }
 * declare function render(job: Job): Observable<string>;
 * const servers = ['https://render.example.com'];
 * const coordinator = localSlotCoordinator({ defaultLimit: 2 });
 * const jobs$ = new Subject<Job>();
 * const attempt = (job: Job) => render(job).pipe(
 *   map((value): AttemptResult<Job, string> => ({ item: job, ok: true, value })),
 *   catchError((error: unknown) => of<AttemptResult<Job, string>>({ item: job, ok: false, error })),
 * );
 * jobs$.pipe(
 *   prioritySlots({ queue: new LevelQueue<Job>(), servers, coordinator, work: attempt }),
 *   requeueWithBackoff({ maxRetries: 2, requeue: (job) => jobs$.next(job) }),
 * ).subscribe((result) => console.log(result.item.id, result.ok ? result.value : result.error));
 * // each job's one final result; its retries queued again at its priority
 * ```
 *
 * @see {@link retryWithBackoff} to retry by resubscribing, for one item
 * @see {@link prioritySlots}
 *
 * @param config The retry options and `requeue`.
 * @returns An operator that emits the final result of each item.
 */
export function requeueWithBackoff<T extends object, V>(config: RequeueWithBackoffConfig<T>): MonoTypeOperatorFunction<AttemptResult<T, V>> {
  const settings = resolveSettings(config);
  return operate<AttemptResult<T, V>, AttemptResult<T, V>>((source, subscriber) => new Requeue(settings, subscriber).run(source));
}

/** An item between a retried failure and its final result. */
class ItemRetry<T extends object> extends RetryWait<Subscription> {
  /** Its failures in a row: the attempts made so far. */
  failures = 0;

  constructor(
    readonly owner: { handBack(retry: ItemRetry<T>): void },
    readonly item: T,
  ) {
    super();
  }

  protected due(): void {
    this.owner.handBack(this);
  }
}

/** One subscription of the operator. */
class Requeue<T extends object, V> implements Unsubscribable {
  readonly #retries = new WeakMap<T, ItemRetry<T>>();
  readonly #waiting = new Set<ItemRetry<T>>();
  #sourceDone = false;

  constructor(
    readonly settings: RequeueSettings<T>,
    readonly subscriber: Subscriber<AttemptResult<T, V>>,
  ) {}

  run(source: Observable<AttemptResult<T, V>>): void {
    this.subscriber.add(this);
    subscribeToSource(source, this.subscriber, this);
  }

  next(result: AttemptResult<T, V>): void {
    if (result.ok) return this.#final(result);
    const item = result.item;
    const state = this.#retries.get(item);
    const attemptsMade = (state?.failures ?? 0) + 1;
    // User code (isRetryable, random) runs here, before anything changes.
    const delayMs = retryDelay(result.error, attemptsMade, state?.lastDelayMs, this.settings);
    if (delayMs === undefined) {
      const error = finalError(result.error);
      return this.#final(error === result.error ? result : { item, ok: false, error });
    }
    const retry = state ?? new ItemRetry<T>(this, item);
    if (state === undefined) this.#retries.set(item, retry);
    retry.failures = attemptsMade;
    retry.plan(delayMs, this.settings.clock.now());
    notifyRetry(this.settings.onRetry, { item, retry: attemptsMade, error: result.error, delayMs });
    // onRetry may have unsubscribed the output: then nothing is booked.
    if (this.subscriber.closed) return;
    retry.book(this.settings.clock);
    this.#waiting.add(retry);
  }

  complete(): void {
    this.#sourceDone = true;
    this.#completeIfDone();
  }

  /** The wait is over: the item goes back to its queue (which may start it, and hear its result, at once). */
  handBack(retry: ItemRetry<T>): void {
    this.#waiting.delete(retry);
    try {
      this.settings.requeue(retry.item);
    } catch (error) {
      this.subscriber.error(error);
      return;
    }
    this.#completeIfDone();
  }

  unsubscribe(): void {
    for (const retry of this.#waiting) retry.cancel(this.settings.clock);
    this.#waiting.clear();
  }

  #final(result: AttemptResult<T, V>): void {
    this.#retries.delete(result.item);
    this.subscriber.next(result);
  }

  #completeIfDone(): void {
    if (this.#sourceDone && this.#waiting.size === 0) this.subscriber.complete();
  }
}

const expectConfig = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'an object with `maxRetries` and `requeue`';

function resolveSettings<T>(config: RequeueWithBackoffConfig<T>): RequeueSettings<T> {
  check('config', config, expectConfig);
  const common = resolveRetryOptions(config);
  check('requeue', config.requeue, expectFunction);
  checkOptional('onRetry', config.onRetry, expectFunction);
  return { ...common, clock: schedulerClock(common.scheduler), requeue: config.requeue, onRetry: config.onRetry };
}
