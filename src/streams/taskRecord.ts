import type { ObservableInput, Subscriber } from 'rxjs';
import type { AttemptContext, CancelResult, Task, TaskEvent, TaskInput, TaskOutcome } from '../types.js';
import type { ProviderLane } from './providerLane.js';
import type { TimelineEntry } from '../internal/timeline.js';
import type { RetryWait } from '../operators/retryWait.js';

/** A provider's lane, as the manager's records live in it. */
export type Lane = ProviderLane<TaskRecord>;

/** Where a task is in its life. One field, so every transition is a single assignment. */
export const enum TaskState {
  /** In its provider's priority queue, waiting for a server slot. */
  Queued = 0,
  /** Between attempts: waiting out a retry's backoff (or for the last attempt to settle). */
  Waiting = 1,
  Running = 2,
  /** Its one outcome has been emitted. */
  Done = 3,
  /** Submitted with `delayMs`/`runAt`: not in its queue yet (see DelayedTasks). */
  Delayed = 4,
}


export type CommandFn = (ctx: AttemptContext) => ObservableInput<unknown>;

/** Per-task settings that most submissions leave out: one shared `undefined` when absent. */
export interface TaskExtras {
  /** Per-attempt timeout given at submit; absent means "ask the manager's option". */
  readonly timeoutMs?: number | undefined;
  readonly callbackName?: string | undefined;
  /** Given at submit (or a command's); absent means the manager's `retry.maxRetries`. */
  readonly maxRetries?: number | undefined;
  /** A command's function; tasks use their provider's handler. */
  readonly command?: CommandFn | undefined;
  /** The submission's AbortSignal (see taskSignal.ts). */
  readonly signal?: AbortSignal | undefined;
  /** A delayed task's due time (the scheduler's clock); absent for a task queued at submission. */
  readonly dueAt?: number | undefined;
  /** Slots per attempt on its server's budget; absent means 1 (see weightOf). */
  readonly weight?: number | undefined;
}

/** A task's state between attempts (its backoff, as `requeueWithBackoff` keeps it); created at its first retry. */
export type RetryState = RetryWait<TimelineEntry>;

/** A subscriber of a handle's `events$`, and the first event index it has not had yet. */
export interface TaskObserver {
  readonly subscriber: Subscriber<TaskEvent>;
  readonly from: number;
}

/** An attempt as a task's history needs it (the AttemptRun). */
export interface RunHistory {
  readonly startedAt: number;
  readonly attempt: number;
  readonly server: string;
  readonly previous: RunHistory | undefined;
  readonly later: readonly TaskEvent[] | undefined;
}

/** The attempt as the record sees it (the AttemptRun). */
export interface AttemptLink extends RunHistory {
  readonly settled: boolean;
  requestAbort(reason: unknown): void;
}

/** What only some tasks ever need, in one object created on first use. */
interface RareState {
  retry: RetryState | undefined;
  /** Callbacks waiting for the outcome (handles' `outcome$`, `run`). */
  listeners: Array<(outcome: TaskOutcome) => void> | undefined;
  cancelResult: CancelResult | undefined;
  /** Subscribers of the task's handle `events$`. */
  observers: TaskObserver[] | undefined;
  /** The last attempt of a finished task that had several or rare events: its replayable history. */
  history: RunHistory | undefined;
  /** Stops listening to the submission's AbortSignal. */
  unwatch: (() => void) | undefined;
  /** A delayed task's entry on the manager's timeline, until it is due. */
  delay: TimelineEntry | undefined;
  /** Under priority aging, the priority given when its rank cannot give it back exactly (a fraction). */
  givenPriority: number | undefined;
}

/**
 * Everything the manager keeps about one task, in one object: it is the queue entry, the registry
 * value and the `Task` a handler sees. Kept small on purpose, because a queued task costs this
 * object and two array slots, nothing else (no Subject, no closure, no timer, and no id string
 * until someone asks for a generated id): rare state lives in one object made on first use, the
 * provider and the manager's defaults are reached through the lane, and the submission time is a
 * small integer offset (a full clock value would need a heap number of its own).
 * @internal
 */
export class TaskRecord<P = unknown> implements Task<P> {
  state = TaskState.Queued;
  /** Attempts started so far. */
  attempts = 0;
  /** How many times it has entered the queue: tells the slot-wait watch which entry is current. */
  entries = 0;
  /** The running attempt, or the last one until the task is retired. */
  attempt: AttemptLink | undefined = undefined;
  /** Its first entry into the queue could not start at once (a `waiting-for-slot` event). */
  waited = false;
  /** Where its last attempt ran, kept when it is retired (for the handle's replay). */
  lastServer: string | undefined = undefined;
  #lastStartOffset = 0;
  outcome: TaskOutcome | undefined = undefined;
  #rare: RareState | undefined = undefined;
  #id: string | undefined;
  readonly #submittedOffset: number;

  constructor(
    /** The id given at submit; undefined for a generated one (`task-<seq>` / `command-<seq>`). */
    givenId: string | undefined,
    /** The provider's lane in the manager. */
    readonly home: Lane,
    readonly payload: P,
    /**
     * What its queue ranks it by: the priority given, or under priority aging its rank (see
     * `prioritize`). Changed only while the task is out of its queue.
     */
    public priority: number,
    submittedAt: number,
    /** The submission order, until `setPriority` gives the task a fresh one (the end of its new level). */
    public seq: number,
    /** 0 for commands (they go first), 1 for tasks. */
    readonly lane: 0 | 1,
    readonly extras: TaskExtras | undefined,
  ) {
    this.#id = givenId;
    this.#submittedOffset = submittedAt - home.epoch;
  }

  get id(): string {
    return (this.#id ??= generatedId(this.lane, this.seq));
  }

  get provider(): string {
    return this.home.name;
  }

  /** The scheduler's `now()` at submission. */
  get submittedAt(): number {
    return this.home.epoch + this.#submittedOffset;
  }

  /** Time since submission at `now` (the scheduler's clock). */
  elapsedAt(now: number): number {
    return now - this.home.epoch - this.#submittedOffset;
  }

  /** When it enters (or entered) its queue for the first time: a delayed task's due time. */
  get queuedAt(): number {
    return this.extras?.dueAt ?? this.submittedAt;
  }

  /** The priority given at submit or by `setPriority` (the rank differs from it under aging). */
  get givenPriority(): number {
    const aging = this.home.aging;
    if (aging === undefined || this.lane === 0) return this.priority;
    return this.#rare?.givenPriority ?? aging.priorityOf(this.priority, this.queuedAt);
  }

  /**
   * Gives the task `priority`: under aging its rank keeps the levels risen since it was queued
   * (see PriorityAging). Only while it is out of its queue.
   */
  prioritize(priority: number): void {
    const aging = this.home.aging;
    if (aging === undefined || this.lane === 0) {
      this.priority = priority;
      return;
    }
    const queuedAt = this.queuedAt;
    this.priority = aging.rank(priority, queuedAt);
    const exact = aging.priorityOf(this.priority, queuedAt) === priority;
    if (!exact || this.#rare !== undefined) this.#rareState().givenPriority = exact ? undefined : priority;
  }

  get maxRetries(): number {
    return this.extras?.maxRetries ?? this.home.defaultMaxRetries;
  }

  get timeoutMs(): number | undefined {
    return this.extras?.timeoutMs;
  }

  get callbackName(): string | undefined {
    return this.extras?.callbackName;
  }

  get command(): CommandFn | undefined {
    return this.extras?.command;
  }

  get retry(): RetryState | undefined {
    return this.#rare?.retry;
  }

  set retry(retry: RetryState | undefined) {
    if (retry !== undefined || this.#rare !== undefined) this.#rareState().retry = retry;
  }

  get listeners(): Array<(outcome: TaskOutcome) => void> | undefined {
    return this.#rare?.listeners;
  }

  set listeners(listeners: Array<(outcome: TaskOutcome) => void> | undefined) {
    if (listeners !== undefined || this.#rare !== undefined) this.#rareState().listeners = listeners;
  }

  get cancelResult(): CancelResult | undefined {
    return this.#rare?.cancelResult;
  }

  set cancelResult(result: CancelResult | undefined) {
    if (result !== undefined || this.#rare !== undefined) this.#rareState().cancelResult = result;
  }

  /** When its last attempt started (the scheduler's clock), once retired. */
  get lastStartedAt(): number {
    return this.home.epoch + this.#lastStartOffset;
  }

  get history(): RunHistory | undefined {
    return this.#rare?.history;
  }

  /**
   * Finished and settled: the record lets go of its last attempt. A record is long-lived (old
   * generation) and an attempt is young: kept, every attempt survived into the old generation
   * through records waiting to be collected, which tripled the garbage collector's work. What the
   * handle's replay needs stays: the last start as numbers, or the attempts themselves for a task
   * with several attempts or rare events (few).
   */
  retire(): void {
    const run = this.attempt;
    if (run === undefined) return;
    this.attempt = undefined;
    this.lastServer = run.server;
    this.#lastStartOffset = run.startedAt - this.home.epoch;
    if (run.previous !== undefined || run.later !== undefined) this.#rareState().history = run;
  }

  get observers(): TaskObserver[] | undefined {
    return this.#rare?.observers;
  }

  set observers(observers: TaskObserver[] | undefined) {
    if (observers !== undefined || this.#rare !== undefined) this.#rareState().observers = observers;
  }

  get delay(): TimelineEntry | undefined {
    return this.#rare?.delay;
  }

  set delay(entry: TimelineEntry | undefined) {
    if (entry !== undefined || this.#rare !== undefined) this.#rareState().delay = entry;
  }

  get unwatch(): (() => void) | undefined {
    return this.#rare?.unwatch;
  }

  set unwatch(unwatch: (() => void) | undefined) {
    if (unwatch !== undefined || this.#rare !== undefined) this.#rareState().unwatch = unwatch;
  }

  #rareState(): RareState {
    return (this.#rare ??= { retry: undefined, listeners: undefined, cancelResult: undefined, observers: undefined, history: undefined, unwatch: undefined, delay: undefined, givenPriority: undefined });
  }

  /** The input that would submit this task again (for the shutdown report). */
  toInput(): TaskInput<P> {
    const input: { -readonly [K in keyof TaskInput<P>]: TaskInput<P>[K] } = {
      provider: this.provider,
      payload: this.payload,
      id: this.id,
      priority: this.givenPriority,
      maxRetries: this.maxRetries,
    };
    if (this.timeoutMs !== undefined) input.timeoutMs = this.timeoutMs;
    if (this.callbackName !== undefined) input.callbackName = this.callbackName;
    if (this.extras?.dueAt !== undefined) input.runAt = this.extras.dueAt;
    return input;
  }
}

/** The id a task gets when none is given. */
export function generatedId(lane: 0 | 1, seq: number): string {
  return (lane === 0 ? 'command-' : 'task-') + seq;
}

/** The slots a task's attempt takes: one field read for a task submitted without extras. @internal */
export function weightOf(record: TaskRecord): number {
  const extras = record.extras;
  return extras === undefined ? 1 : (extras.weight ?? 1);
}
