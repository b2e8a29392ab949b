import type { Observer, Subscribable, Unsubscribable } from 'rxjs';
import type { Timeline, TimelineEntry } from '../internal/timeline.js';
import { DeadlineGrace } from '../operators/deadlineGrace.js';
import type { SlotLease } from '../slots/brokerMember.js';
import type { AttemptContext, TaskEvent } from '../types.js';
import { AttemptContextImpl } from './attemptContext.js';
import { Effect } from './effects.js';
import { followResult, type Follower } from './followResult.js';
import type { TaskRecord } from './taskRecord.js';

/** What an attempt needs from its manager. */
export interface AttemptHost {
  readonly timeline: Timeline;
  /** True while a state change is under way (user code must wait). */
  readonly busy: boolean;
  /** Brackets a state change; `exit` runs the user code it queued. */
  enter(): void;
  exit(): void;
  defer(effect: Effect, a: unknown, b?: unknown): void;
  /** The attempt's timeout (user code: the timeout function) and its grace period. */
  timeoutFor(record: TaskRecord): number;
  graceFor(timeoutMs: number): number;
  /** Calls the handler (or the command's function). */
  invoke(record: TaskRecord, ctx: AttemptContext): unknown;
  /** User code threw where nobody else hears it (a handler teardown, an abort listener). */
  reportThrow(source: string, error: unknown, taskId: string): void;
  /** State changes: the attempt started (its `started` event, if heard), its result is known, it was abandoned, it settled. */
  started(run: AttemptRun): TaskEvent | undefined;
  decided(run: AttemptRun, ok: boolean, valueOrError: unknown): void;
  abandoned(run: AttemptRun): void;
  settled(run: AttemptRun): void;
}

/**
 * One attempt of one task on one server slot: what `serverSlots` subscribes to (a bare
 * `Subscribable`, no Observable per attempt), raced against its deadline and held for its grace by
 * the same {@link DeadlineGrace} as `attemptTimeout`, on the manager's timeline.
 *
 * State changes happen inside the manager's transitions; everything that runs user code — the
 * handler, the abort of its signal, the teardown of an Observable handler — is queued as an effect
 * and runs once the change is whole. The attempt's *result* and its *settling* are separate: on
 * timeout or cancel the result is known at once, but the slot is held until the handler settles
 * (an Observable handler settles when unsubscribed; a Promise handler that ignores its signal is
 * abandoned after the grace period), so a server never runs more than its limit.
 * @internal
 */
export class AttemptRun extends DeadlineGrace<TimelineEntry> implements Subscribable<never>, Follower {
  readonly server: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly ctx: AttemptContext;
  /** The task's attempt before this one (its history, for the handle's `events$`). */
  readonly previous: AttemptRun | undefined;
  /**
   * The rare events that followed its start before the task's outcome (retrying, abandoned, a
   * wait for a slot when its retry re-entered the queue): kept for the handle's `events$` replay.
   */
  later: TaskEvent[] | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  #abortReason: unknown = undefined;
  #invoked = false;
  #inner: Unsubscribable | undefined = undefined;
  #innerResult: { ok: boolean; value: unknown } | undefined = undefined;
  #observer: Partial<Observer<never>> | undefined = undefined;

  constructor(
    readonly host: AttemptHost,
    readonly record: TaskRecord,
    lease: SlotLease,
  ) {
    super();
    this.server = lease.server;
    this.attempt = record.attempts + 1;
    this.startedAt = host.timeline.now();
    // A retry's attempt links to the one before (the record keeps the last until it retires).
    this.previous = record.attempt as AttemptRun | undefined;
    this.ctx = new AttemptContextImpl(record.id, record.provider, lease.server, this.attempt, this);
  }

  protected get clock(): Timeline {
    return this.host.timeline;
  }

  protected get taskId(): string {
    return this.record.id;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.abortRequested) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** serverSlots starts the attempt (inside a transition): the handler is called once it is whole. */
  subscribe(observer: Partial<Observer<never>>): Unsubscribable {
    this.#observer = observer;
    this.host.defer(Effect.Invoke, this, this.host.started(this));
    return this;
  }

  /** serverSlots lets go of it: after it settled, or when the pipeline is torn down. */
  unsubscribe(): void {
    if (!this.release()) return;
    if (this.#inner !== undefined) this.host.defer(Effect.Teardown, this.#inner, this);
  }

  // ------------------------------------------------------------ effects (no change under way)

  /** Effect: the timeout function, then the handler; a task cancelled before this never runs it. */
  invoke(): void {
    if (this.abortRequested || this.settled) {
      this.#inTransition(() => this.settle());
      return;
    }
    this.timeoutMs = this.host.timeoutFor(this.record);
    this.graceMs = this.host.graceFor(this.timeoutMs);
    this.#invoked = true;
    const calledAt = this.host.timeline.now();
    let result: unknown;
    try {
      result = this.host.invoke(this.record, this.ctx);
    } catch (error) {
      this.host.timeline.stale();
      this.finishEntry(false, error);
      return;
    }
    this.host.timeline.stale();
    if (this.settled) return;
    followResult(result, this);
    // Booked only for work still under way, counted from the handler's call (user code that ran
    // between the slot and the call does not shorten it): a synchronous handler never costs a timer.
    // (Not a transition of its own: booking a time runs no user code and changes nothing else.)
    this.startDeadline(calledAt);
  }

  /** Effect: tells the handler to stop (signal, unsubscribe), then holds the slot until it has. */
  runAbort(): void {
    try {
      this.#controller?.abort(this.#abortReason);
    } catch (error) {
      this.host.reportThrow('abort listener', error, this.record.id);
    }
    if (this.#inner !== undefined) {
      // An Observable handler stops when unsubscribed: once its teardown ran, it has settled.
      this.#teardownInner();
      this.#inTransition(() => this.settle());
      return;
    }
    if (this.settled || !this.#invoked || this.graceMs === Infinity) return;
    this.#inTransition(() => this.holdUntilSettled());
  }

  /** Effect: an Observable handler finished during a change: run its teardown, then settle. */
  innerDone(): void {
    this.#teardownInner();
    const result = this.#innerResult;
    if (result !== undefined) this.finishEntry(result.ok, result.value);
  }

  // ------------------------------------------------------------ Follower (user code calls these)

  /** The handler's result is known (a value, a rejection, a throw): one whole transition. */
  finishEntry(ok: boolean, valueOrError: unknown): void {
    // Written out: every attempt ends here, and a closure per attempt shows on the hot path.
    this.host.enter();
    try {
      this.finish(ok, valueOrError);
    } finally {
      this.host.exit();
    }
  }

  /** Whether an Observable handler may still be subscribed (not if the task was cancelled meanwhile). */
  get mayStart(): boolean {
    return !this.abortRequested && !this.settled;
  }

  /** An Observable handler was subscribed; `finished` tells whether it already completed or errored. */
  following(inner: Unsubscribable, finished: { ok: boolean; value: unknown } | undefined): void {
    this.#inner = inner;
    this.#innerResult = finished;
    if (this.settled) this.host.defer(Effect.Teardown, inner, this);
    else if (finished !== undefined) this.innerDone();
  }

  /** The handler's Observable completed or errored (after `following`). */
  innerFinished(result: { ok: boolean; value: unknown }): void {
    this.#innerResult = result;
    if (this.#inner === undefined || this.settled) return; // still inside subscribe: handled by `following`
    if (this.host.busy) this.host.defer(Effect.InnerDone, this);
    else this.innerDone();
  }

  /** Effect: runs a handler's teardown; a throw is reported, and the attempt goes on as if it had not. */
  tearDown(inner: Unsubscribable): void {
    try {
      inner.unsubscribe();
    } catch (error) {
      this.host.reportThrow('handler teardown', error, this.record.id);
    }
  }

  // ------------------------------------------------------------ DeadlineGrace (inside a change)

  /** Not yet invoked: the queued invoke sees the abort and settles without calling the handler. */
  protected onAbortRequested(reason: unknown): void {
    this.#abortReason = reason;
    if (this.#invoked) this.host.defer(Effect.Abort, this);
  }

  protected onDecided(ok: boolean, valueOrError: unknown): void {
    this.host.decided(this, ok, valueOrError);
  }

  protected onAbandoned(): void {
    this.host.abandoned(this);
  }

  /** Slot first (completing releases it), then the host: what it does next sees the slot free. */
  protected onSettled(): void {
    this.#observer?.complete?.();
    this.#observer = undefined;
    this.host.settled(this);
  }

  #teardownInner(): void {
    const inner = this.#inner;
    if (inner === undefined) return;
    this.#inner = undefined;
    this.tearDown(inner);
  }

  #inTransition(change: () => void): void {
    this.host.enter();
    try {
      change();
    } finally {
      this.host.exit();
    }
  }
}
