import type { Observable, Subscriber, Subscription, Unsubscribable } from 'rxjs';
import type { Clock } from '../internal/clock.js';
import { DeadlineGrace } from './deadlineGrace.js';
import { reportHookError } from './reportHookError.js';
import { subscribeToSource } from './sourceObserver.js';

/** The checked options of `attemptTimeout`. @internal */
export interface TimeoutSettings {
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly onAbandoned: (() => void) | undefined;
  /** The scheduler, as a clock for the deadline and the grace. */
  readonly clock: Clock<Subscription>;
  readonly controller: AbortController | undefined;
  readonly taskId: string;
  readonly server: string;
}

/**
 * One subscription of `attemptTimeout`: the source raced against its deadline, then given up to
 * `graceMs` to settle (the shared {@link DeadlineGrace}). The output errors with the timeout only
 * once the source has settled or been abandoned, so whoever holds a slot for this output holds it
 * while the work may still run.
 * @internal
 */
export class DeadlineRun<T> extends DeadlineGrace<Subscription> implements Unsubscribable {
  #source: Subscription | undefined = undefined;
  #subscribed = false;
  #ok = true;
  #result: unknown = undefined;

  constructor(
    readonly settings: TimeoutSettings,
    readonly subscriber: Subscriber<T>,
  ) {
    super();
    this.timeoutMs = settings.timeoutMs;
    this.graceMs = settings.graceMs;
  }

  get server(): string {
    return this.settings.server;
  }

  protected get taskId(): string {
    return this.settings.taskId;
  }

  protected get clock(): Clock<Subscription> {
    return this.settings.clock;
  }

  run(source: Observable<T>): void {
    // Unsubscribing the output cancels the deadline and the grace: no action outlives it.
    this.subscriber.add(this);
    this.startDeadline();
    // A scheduler that ran the deadline synchronously has already failed the attempt.
    if (this.settled) return;
    this.#subscribed = true;
    this.#source = subscribeToSource(source, this.subscriber, this);
  }

  /** Values after the deadline belong to an attempt that has already failed. */
  next(value: T): void {
    if (!this.decided) this.subscriber.next(value);
  }

  // Settling after the deadline ends the grace period; the error is the timeout's, never the
  // source's own late one (often its reaction to the abort).
  error(error: unknown): void {
    this.finish(false, error);
  }

  complete(): void {
    this.finish(true, undefined);
  }

  unsubscribe(): void {
    this.release();
  }

  protected onDecided(ok: boolean, valueOrError: unknown): void {
    this.#ok = ok;
    this.#result = valueOrError;
  }

  protected onAbortRequested(reason: unknown): void {
    const controller = this.settings.controller;
    if (this.graceMs === 0 || !this.#subscribed) {
      // Unsubscribe first: a source that reacts to the abort must not be heard any more.
      this.#source?.unsubscribe();
      controller?.abort(reason);
      this.settle();
      return;
    }
    controller?.abort(reason);
    // A source that settled on the abort has ended the attempt already; Infinity waits for it.
    this.holdUntilSettled();
  }

  protected onAbandoned(): void {
    const onAbandoned = this.settings.onAbandoned;
    if (onAbandoned !== undefined) {
      try {
        onAbandoned();
      } catch (error) {
        reportHookError(error);
      }
    }
    this.#source?.unsubscribe();
  }

  protected onSettled(): void {
    if (this.#ok) this.subscriber.complete();
    else this.subscriber.error(this.#result);
  }
}
