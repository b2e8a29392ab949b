import { from, isObservable, type Observable, type Observer, type Subscribable, type Subscription, type Unsubscribable } from 'rxjs';
import { TaskTimeoutError } from '../errors/TaskTimeoutError.js';
import type { SlotLease } from '../slots/slotBroker.js';
import type { AttemptContext } from '../types.js';
import type { TaskRecord } from './taskRecord.js';
import type { Timeline, TimelineEntry, TimelineTarget } from '../internal/timeline.js';

/** What an attempt needs from its manager. */
export interface AttemptHost {
  readonly timeline: Timeline;
  /** The function this attempt calls (the provider's handler, or a command's function). */
  invoke(record: TaskRecord, ctx: AttemptContext): unknown;
  /** The attempt has started (its state is Running). */
  started(run: AttemptRun): void;
  /** The attempt's result is known: a value, or an error (including its timeout). Called once, unless aborted first. */
  decided(run: AttemptRun, ok: boolean, valueOrError: unknown): void;
  /** The handler ignored its aborted signal for the whole grace period; its slot is given back now. */
  abandoned(run: AttemptRun): void;
  /** The handler has settled (or was abandoned): the slot is about to be released. */
  settled(run: AttemptRun): void;
}

const DEADLINE = 0;
const GRACE = 1;

/**
 * One attempt of one task on one server slot. It is the handler's `AttemptContext` and the
 * timeline target of the attempt's timeout and grace period.
 *
 * The attempt's *result* and its *settling* are separate moments: on timeout or cancel the result
 * is known at once (and the signal aborted), but the slot is held until the handler really
 * settles, so a server never runs more than its limit. An Observable handler is unsubscribed and
 * settles at once; a Promise handler that ignores its signal is abandoned after the grace period.
 * @internal
 */
export class AttemptRun implements AttemptContext, TimelineTarget, Subscribable<never> {
  readonly taskId: string;
  readonly provider: string;
  readonly server: string;
  readonly attempt: number;
  readonly startedAt: number;
  #controller: AbortController | undefined = undefined;
  #abortReason: unknown = undefined;
  #aborted = false;
  #decided = false;
  settled = false;
  timedOut = false;
  #inner: Subscription | undefined = undefined;
  /** Who holds the slot (serverSlots): told `complete` when the handler has settled. */
  #observer: Partial<Observer<never>> | undefined = undefined;
  #innerResult: (() => { ok: boolean; value: unknown } | undefined) | undefined = undefined;
  #deadline: TimelineEntry | undefined = undefined;
  #grace: TimelineEntry | undefined = undefined;

  constructor(
    readonly host: AttemptHost,
    readonly record: TaskRecord,
    lease: SlotLease,
    readonly timeoutMs: number,
    readonly graceMs: number,
  ) {
    this.taskId = record.id;
    this.provider = record.provider;
    this.server = lease.server;
    this.attempt = record.attempts + 1;
    this.startedAt = host.timeline.now();
  }

  /** Created on first read: most handlers never look at it, and an AbortController costs microseconds. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /**
   * serverSlots runs the attempt by subscribing to it (a `Subscribable`, so no Observable, closure
   * or subscriber wrapper per attempt); `complete` tells it the handler has settled.
   */
  subscribe(observer: Partial<Observer<never>>): Unsubscribable {
    this.#observer = observer;
    this.#start();
    return this;
  }

  /** serverSlots stops the attempt (the whole pipeline is torn down). */
  unsubscribe(): void {
    this.teardown();
  }

  #start(): void {
    this.host.started(this);
    let result: unknown;
    let threw = false;
    try {
      result = this.host.invoke(this.record, this);
    } catch (error) {
      result = error;
      threw = true;
    }
    this.host.timeline.stale();
    if (threw) {
      this.#finish(false, result);
      return;
    }
    if (this.settled) return; // the handler cancelled its own task and we already settled
    try {
      this.#follow(result);
    } catch (error) {
      // A thenable whose `then` throws (or a throwing `then` getter): the attempt fails, nothing else.
      this.#finish(false, error);
      return;
    }
    // Booked only for work still under way, still counted from the start: a handler that settles
    // synchronously never costs a timer.
    if (!this.settled && !this.#decided && this.timeoutMs !== Infinity) {
      this.#deadline = this.host.timeline.after(this.timeoutMs, this, DEADLINE, this.startedAt);
    }
  }

  /** Stops the attempt from outside (cancel, forced shutdown): its result no longer counts. */
  abort(reason: unknown): void {
    if (this.settled) return;
    this.#decided = true;
    this.host.timeline.cancel(this.#deadline);
    this.#interrupt(reason);
  }

  /** Gives the slot back now, whether or not the handler has settled (forced shutdown). */
  abandon(): void {
    if (this.settled) return;
    this.host.abandoned(this);
    this.#settle();
  }

  onTime(entry: TimelineEntry): void {
    if (entry.kind === GRACE) {
      this.abandon();
      return;
    }
    this.timedOut = true;
    const error = new TaskTimeoutError(this.taskId, this.server, this.timeoutMs);
    this.#decide(false, error);
    this.#interrupt(error);
  }

  /** Unsubscribed by serverSlots: after it settled (nothing left to do), or when the pipeline is torn down. */
  teardown(): void {
    if (this.settled) return;
    this.host.timeline.cancel(this.#deadline);
    this.host.timeline.cancel(this.#grace);
    this.#inner?.unsubscribe();
    this.settled = true;
  }

  #follow(handlerResult: unknown): void {
    if (isPromiseLike(handlerResult)) {
      handlerResult.then(
        (value) => this.#finish(true, value),
        (error: unknown) => this.#finish(false, error),
      );
      return;
    }
    const observable = toObservable(handlerResult);
    if (observable === undefined) {
      this.#finish(true, handlerResult); // a plain value
      return;
    }
    // The slot is given back after the handler's own teardown has run, not at its `complete`:
    // only then has the handler really stopped using the server.
    if (this.#aborted) {
      // Cancelled while the handler was being called: never start its stream.
      this.#settle();
      return;
    }
    let last: unknown = undefined;
    let result: { ok: boolean; value: unknown } | undefined;
    const inner = observable.subscribe({
      next: (value) => {
        last = value;
      },
      error: (error: unknown) => {
        result = { ok: false, value: error };
        this.#afterInner();
      },
      complete: () => {
        result = { ok: true, value: last };
        this.#afterInner();
      },
    });
    this.#inner = inner;
    this.#innerResult = () => result;
    if (this.settled) inner.unsubscribe();
    else if (result !== undefined) this.#finish(result.ok, result.value); // finished synchronously
  }

  /** The handler's Observable finished: run its teardown, then settle with its result. */
  #afterInner(): void {
    const inner = this.#inner;
    if (inner === undefined) return; // still inside subscribe: handled when it returns
    inner.unsubscribe();
    const result = this.#innerResult?.();
    if (result !== undefined) this.#finish(result.ok, result.value);
  }

  #finish(ok: boolean, valueOrError: unknown): void {
    if (this.settled) return;
    // One instant: the outcome, the slot's release and the next task's start share a clock read
    // and the timeline's timer.
    const timeline = this.host.timeline;
    timeline.begin();
    try {
      this.#decide(ok, valueOrError);
      this.#settle();
    } finally {
      timeline.end();
    }
  }

  #decide(ok: boolean, valueOrError: unknown): void {
    if (this.#decided) return;
    this.#decided = true;
    this.host.timeline.cancel(this.#deadline);
    this.host.decided(this, ok, valueOrError);
  }

  #interrupt(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
    if (this.#inner !== undefined) {
      // An Observable handler stops when unsubscribed: it has settled.
      this.#inner.unsubscribe();
      this.#settle();
      return;
    }
    if (!this.settled && this.graceMs !== Infinity) this.#grace = this.host.timeline.after(this.graceMs, this, GRACE);
  }

  #settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.host.timeline.cancel(this.#deadline);
    this.host.timeline.cancel(this.#grace);
    // Slot first (completing releases it), then the host: what it does next sees the slot free.
    this.#observer?.complete?.();
    this.host.settled(this);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * The stream to follow when a handler returned an Observable (or an interop observable); undefined
 * otherwise. Arrays, strings and other iterables are plain values here: a handler that returns
 * `['a', 'b']` succeeds with that array, it does not stream its elements.
 */
function toObservable(value: unknown): Observable<unknown> | undefined {
  if (isObservable(value)) return value;
  if (value === null || typeof value !== 'object') return undefined;
  const interop = (value as Record<string, unknown>)['@@observable'];
  return typeof interop === 'function' ? from(value as Observable<unknown>) : undefined;
}
