import type { ObservableInput, Subscriber } from 'rxjs';
import type { TimelineEntry } from '../internal/timeline.js';
import type { RetryWait } from '../operators/retryWait.js';
import type { AttemptContext, CancelResult, TaskEvent, TaskOutcome } from '../types.js';

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
export interface RareState {
  retry: RetryState | undefined;
  /** Callbacks waiting for the outcome (handles' `outcome$`, `run`). */
  listeners: Array<(outcome: TaskOutcome) => void> | undefined;
  /** What its owner's cancel returned when it interrupted the task running (it names the server). */
  interruptedResult: CancelResult | undefined;
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
 * How a task ended, once Done: its outcome's tag, and for a cancel its reason (the outcome itself
 * is rebuilt on demand, see taskEnding.ts). 0 while it lives.
 */
export const enum Ending {
  None = 0,
  Succeeded = 1,
  Failed = 2,
  /** Cancelled: `Cancelled + i` for the i-th reason of CANCEL_REASONS (taskEnding.ts). */
  Cancelled = 3,
}

/** Where its owner's `cancel` found the task, kept for a second cancel (see Cancellation). */
export const enum CancelledFrom {
  None = 0,
  Queue = 1,
  Backoff = 2,
  /** Running: the result names the server, kept in the rare state. */
  Run = 3,
}
