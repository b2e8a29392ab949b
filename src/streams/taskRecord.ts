import type { CancelResult, Task, TaskOutcome } from '../types.js';
import type { TimelineEntry } from '../internal/timeline.js';
import type { ProviderLane } from './providerLane.js';
import { type CancelledFrom, Ending, type AttemptLink, type CommandFn, type RareState, type RetryState, type RunHistory, type TaskExtras, type TaskObserver } from './taskParts.js';

/** A provider's lane, as the manager's records live in it. */
export type Lane = ProviderLane<TaskRecord>;

/** Where a task is in its life: one of the record's packed bits, so every transition is a single write. */
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

/** The record's small fields in one number (a field costs 8 bytes per queued task): state, lane, waited, ending, cancelledFrom, entries. */
const STATE_MASK = 0b111;
const LANE_BIT = 1 << 3;
const WAITED_BIT = 1 << 4;
const ENDING_SHIFT = 5;
const ENDING_MASK = 0b111 << ENDING_SHIFT;
const CANCELLED_SHIFT = 8;
const CANCELLED_MASK = 0b11 << CANCELLED_SHIFT;
const ENTRIES_SHIFT = 10;
const LOW_BITS = (1 << ENTRIES_SHIFT) - 1;
/** Entries count modulo 2^20 (only "which entry is current" and "the first" are asked): a small integer. */
const ENTRIES_MASK = (1 << 20) - 1;

/**
 * Everything the manager keeps about one task, in one object: the queue entry, the registry value
 * and the `Task` a handler sees. Small on purpose (a queued task costs this object, its generated
 * id once an event names it, and two array slots): rare state lives in one object made on first
 * use, small fields share one number, defaults are reached through the lane, times are offsets.
 * @internal
 */
export class TaskRecord<P = unknown> implements Task<P> {
  /** Attempts started so far. */
  attempts = 0;
  /** The running attempt, or the last one until the task is retired. */
  attempt: AttemptLink | undefined = undefined;
  /** Where its last attempt ran, kept when it is retired (for the handle's replay). */
  lastServer: string | undefined = undefined;
  #lastStartOffset = 0;
  /** State, lane, waited, ending, entries: see STATE_MASK. */
  #bits: number;
  /** Its outcome's value (succeeded), error (failed) or abort reason (cancelled by its signal). */
  #result: unknown = undefined;
  #elapsedMs = 0;
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
    lane: 0 | 1,
    readonly extras: TaskExtras | undefined,
  ) {
    this.#bits = lane === 0 ? TaskState.Queued : TaskState.Queued | LANE_BIT;
    this.#id = givenId;
    this.#submittedOffset = submittedAt - home.epoch;
  }

  get id(): string {
    return (this.#id ??= generatedId(this.lane, this.seq));
  }

  get state(): TaskState {
    return (this.#bits & STATE_MASK) as TaskState;
  }

  set state(state: TaskState) {
    this.#bits = (this.#bits & ~STATE_MASK) | state;
  }

  /** 0 for commands (they go first), 1 for tasks. */
  get lane(): 0 | 1 {
    return (this.#bits & LANE_BIT) === 0 ? 0 : 1;
  }

  /** Its first entry into the queue could not start at once (a `waiting-for-slot` event). */
  get waited(): boolean {
    return (this.#bits & WAITED_BIT) !== 0;
  }

  set waited(waited: boolean) {
    this.#bits = waited ? this.#bits | WAITED_BIT : this.#bits & ~WAITED_BIT;
  }

  /** How many times it has entered the queue: tells the slot-wait watch which entry is current. */
  get entries(): number {
    return this.#bits >>> ENTRIES_SHIFT;
  }

  set entries(entries: number) {
    this.#bits = (this.#bits & LOW_BITS) | ((entries & ENTRIES_MASK) << ENTRIES_SHIFT);
  }

  /**
   * The task ended. Kept as its parts, not as an outcome object: the record is long-lived and
   * most outcomes are read once, by `events$`; an object kept here would survive into the old
   * generation with it (see `retire`).
   */
  end(ending: Ending, result: unknown, elapsedMs: number): void {
    this.#bits = (this.#bits & ~ENDING_MASK) | (ending << ENDING_SHIFT);
    this.#result = result;
    this.#elapsedMs = elapsedMs;
  }

  get cancelledFrom(): CancelledFrom {
    return ((this.#bits & CANCELLED_MASK) >> CANCELLED_SHIFT) as CancelledFrom;
  }

  set cancelledFrom(from: CancelledFrom) {
    this.#bits = (this.#bits & ~CANCELLED_MASK) | (from << CANCELLED_SHIFT);
  }

  get ending(): Ending {
    return ((this.#bits & ENDING_MASK) >> ENDING_SHIFT) as Ending;
  }

  /** See `end`. */
  get result(): unknown {
    return this.#result;
  }

  /** Time from submission to its outcome. */
  get elapsedMs(): number {
    return this.#elapsedMs;
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
    if (!exact || this.#rare !== undefined) this.rareState().givenPriority = exact ? undefined : priority;
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
    if (retry !== undefined || this.#rare !== undefined) this.rareState().retry = retry;
  }

  get listeners(): Array<(outcome: TaskOutcome) => void> | undefined {
    return this.#rare?.listeners;
  }

  set listeners(listeners: Array<(outcome: TaskOutcome) => void> | undefined) {
    if (listeners !== undefined || this.#rare !== undefined) this.rareState().listeners = listeners;
  }

  /** What its owner's cancel of it while running returned (see `cancelledFrom`). */
  get interruptedResult(): CancelResult | undefined {
    return this.#rare?.interruptedResult;
  }

  set interruptedResult(result: CancelResult | undefined) {
    if (result !== undefined || this.#rare !== undefined) this.rareState().interruptedResult = result;
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
    if (run.previous !== undefined || run.later !== undefined) this.rareState().history = run;
  }

  get observers(): TaskObserver[] | undefined {
    return this.#rare?.observers;
  }

  set observers(observers: TaskObserver[] | undefined) {
    if (observers !== undefined || this.#rare !== undefined) this.rareState().observers = observers;
  }

  get delay(): TimelineEntry | undefined {
    return this.#rare?.delay;
  }

  set delay(entry: TimelineEntry | undefined) {
    if (entry !== undefined || this.#rare !== undefined) this.rareState().delay = entry;
  }

  get unwatch(): (() => void) | undefined {
    return this.#rare?.unwatch;
  }

  set unwatch(unwatch: (() => void) | undefined) {
    if (unwatch !== undefined || this.#rare !== undefined) this.rareState().unwatch = unwatch;
  }

  /** (Not a `#` method: that would cost every record a field.) */
  private rareState(): RareState {
    return (this.#rare ??= { retry: undefined, listeners: undefined, interruptedResult: undefined, observers: undefined, history: undefined, unwatch: undefined, delay: undefined, givenPriority: undefined });
  }
}

/** What a generated id starts with, by lane: commands, tasks. */
export const GENERATED_PREFIXES = ['command-', 'task-'] as const;

/** The id a task gets when none is given. */
export function generatedId(lane: 0 | 1, seq: number): string {
  return GENERATED_PREFIXES[lane] + seq;
}

/** The slots a task's attempt takes: one field read for a task submitted without extras. @internal */
export function weightOf(record: TaskRecord): number {
  const extras = record.extras;
  return extras === undefined ? 1 : (extras.weight ?? 1);
}
