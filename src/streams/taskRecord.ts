import type { ObservableInput } from 'rxjs';
import type { AttemptContext, CancelResult, Task, TaskInput, TaskOutcome } from '../types.js';
import type { TimelineEntry } from './timeline.js';

/** Where a task is in its life. One field, so every transition is a single assignment. */
export const enum TaskState {
  /** In its provider's priority queue, waiting for a server slot. */
  Queued = 0,
  /** Between attempts: waiting out a retry's backoff (or for the last attempt to settle). */
  Waiting = 1,
  Running = 2,
  /** Its one outcome has been emitted. */
  Done = 3,
}


export type CommandFn = (ctx: AttemptContext) => ObservableInput<unknown>;

/** Per-task settings that most submissions leave out: one shared `undefined` when absent. */
export interface TaskExtras {
  /** Per-attempt timeout given at submit; absent means "ask the manager's option". */
  readonly timeoutMs?: number | undefined;
  readonly callbackName?: string | undefined;
  /** A command's function; tasks use their provider's handler. */
  readonly command?: CommandFn | undefined;
}

/** A task's state between attempts; created at its first retry. */
export interface RetryState {
  /** The booked end of the backoff, while waiting. */
  backoff: TimelineEntry | undefined;
  /** When the retry may start (the scheduler's clock). */
  retryAt: number;
  /** The last backoff delay (for decorrelated jitter). */
  lastDelayMs: number | undefined;
}

/**
 * Everything the manager keeps about one task, in one object: it is the heap entry, the registry
 * value and the `Task` a handler sees. Kept small on purpose: a queued task costs this object, a
 * heap slot and a registry entry, nothing else (no Subject, no closure, no timer, and no id string
 * until someone asks for a generated id).
 * @internal
 */
export class TaskRecord<P = unknown> implements Task<P> {
  state = TaskState.Queued;
  /** Attempts started so far. */
  attempts = 0;
  /** How many times it has entered the queue: tells the slot-wait watch which entry is current. */
  entries = 0;
  /** The running attempt, or the last one while it has not settled. */
  attempt: { readonly server: string; abort(reason: unknown): void; readonly settled: boolean } | undefined = undefined;
  retry: RetryState | undefined = undefined;
  outcome: TaskOutcome | undefined = undefined;
  /** Callbacks waiting for the outcome (handles' `outcome$`, `run`). Created on first use. */
  listeners: Array<(outcome: TaskOutcome) => void> | undefined = undefined;
  cancelResult: CancelResult | undefined = undefined;
  #id: string | undefined;

  constructor(
    /** The id given at submit; undefined for a generated one (`task-<seq>` / `command-<seq>`). */
    givenId: string | undefined,
    readonly provider: string,
    readonly payload: P,
    readonly priority: number,
    readonly maxRetries: number,
    readonly submittedAt: number,
    readonly seq: number,
    /** 0 for commands (they go first), 1 for tasks. */
    readonly lane: 0 | 1,
    readonly extras: TaskExtras | undefined,
  ) {
    this.#id = givenId;
  }

  get id(): string {
    return (this.#id ??= generatedId(this.lane, this.seq));
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

  /** The input that would submit this task again (for the shutdown report). */
  toInput(): TaskInput<P> {
    const input: { -readonly [K in keyof TaskInput<P>]: TaskInput<P>[K] } = {
      provider: this.provider,
      payload: this.payload,
      id: this.id,
      priority: this.priority,
      maxRetries: this.maxRetries,
    };
    if (this.timeoutMs !== undefined) input.timeoutMs = this.timeoutMs;
    if (this.callbackName !== undefined) input.callbackName = this.callbackName;
    return input;
  }
}

/** The id a task gets when none is given. */
export function generatedId(lane: 0 | 1, seq: number): string {
  return (lane === 0 ? 'command-' : 'task-') + seq;
}
