import type { InteropObservable, Observable } from 'rxjs';
import type { LimitReason } from './slots/adaptive/limitAlgorithm.js';
import type { ServerEvent } from './slots/fleet/serverEvent.js';

export type { ServerEvent }; // for the add-ons (dashboard, otel), which read the manager through this file only
import type { ClusterStats } from './slots/slotCoordinator.js';

/**
 * What a handler (or a command) may return for a result `R`: the value itself (arrays, strings and
 * other iterables included), a Promise or thenable of it, or an Observable whose last value it is
 * (an Observable that completes without a value succeeds with `undefined`).
 * @since 0.2.0
 */
export type HandlerResult<R> = R | PromiseLike<R> | Observable<R> | InteropObservable<R>;

/**
 * A work pool: a named set of servers and the function that does one attempt of a task on one of
 * them. Create with {@link defineProvider}: the name, payload and result types are inferred, and
 * the manager carries them to `run`, `submit` and `command`.
 * @typeParam P - the payload of its tasks
 * @typeParam R - the result of an attempt that succeeds
 * @typeParam N - its name, as a string literal type when known
 * @since 0.1.0
 */
export interface Provider<P = unknown, R = unknown, N extends string = string> {
  /** Unique among the manager's providers, non-empty. */
  readonly name: N;
  /** The pool: usually URLs. May be empty and filled live with `updateProviderServers`. */
  readonly servers: readonly string[];
  /**
   * Most tasks that may wait in its queue (commands and delayed tasks included, running ones not);
   * an integer >= 1 or Infinity. Checked when a task arrives, before it could start. @default Infinity
   */
  readonly maxQueued?: number;
  /**
   * What a submission to a full queue does: `reject` refuses it (`QueueFull`); `drop-oldest` cancels
   * the oldest queued task of the lowest priority (reason `overflow`) to make room, unless the new
   * task's priority is lower than that one's (then it is refused). Commands are never dropped.
   * @default 'reject'
   */
  readonly overflow?: 'reject' | 'drop-oldest';
  /** One attempt. Return a Promise, an Observable (its last value counts) or a plain value. */
  handle(task: Task<P>, ctx: AttemptContext): HandlerResult<R>;
  /**
   * How long an attempt whose signal was aborted (timeout, cancel, shutdown) keeps its slot after
   * its handler settled: the time the server may go on with a request whose client went away.
   * Finite, >= 0. @default 0
   */
  readonly holdAfterAbortMs?: number;
}

/** The payload and result types of one provider, as the manager knows them. @since 0.2.0 */
export interface ProviderTypes<P = unknown, R = unknown> {
  readonly payload: P;
  readonly result: R;
}

/**
 * Provider name → payload and result types. The default, `ProviderMap` itself, accepts any name
 * and payload and types results as `unknown`.
 * @since 0.2.0
 */
export interface ProviderMap {
  readonly [name: string]: ProviderTypes;
}

/**
 * The {@link ProviderMap} of a list of providers: `createTaskManager({ providers: [ai, ssr] })`
 * returns a `TaskManager<ProviderMapOf<[typeof ai, typeof ssr]>>`. A provider whose name is a
 * plain `string` (not a literal) lets any name through.
 * @since 0.2.0
 */
export type ProviderMapOf<Ps extends readonly Provider[]> = {
  readonly [Pr in Ps[number] as Pr['name']]: Pr extends Provider<infer P, infer R, string> ? ProviderTypes<P, R> : ProviderTypes;
};

/** The map of a manager with one more provider (see `addProvider`). @since 0.2.0 */
export type WithProvider<M extends ProviderMap, N extends string, P, R> = M & { readonly [K in N]: ProviderTypes<P, R> };

/** The names a map accepts. @since 0.2.0 */
export type ProviderName<M extends ProviderMap> = keyof M & string;

/** What a handler is told about the attempt it runs. */
export interface AttemptContext {
  readonly taskId: string;
  readonly provider: string;
  /** The pool entry this attempt runs on, exactly as listed in the pool. */
  readonly server: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted on timeout, cancel and forced shutdown. */
  readonly signal: AbortSignal;
  /**
   * Reports progress: a `progress` event on `events$` and the handle's `events$`, at most one per `progressIntervalMs`
   * per attempt (later calls within the gap are coalesced into the latest value, emitted when it ends). Ignored once
   * the attempt has its result.
   */
  progress(value: unknown): void;
}

/**
 * A task to submit.
 * @typeParam P - its payload
 * @typeParam N - its provider's name
 * @since 0.1.0
 */
export interface TaskInput<P = unknown, N extends string = string> {
  readonly provider: N;
  readonly payload: P;
  /** Unique among live tasks; generated when absent. */
  readonly id?: string;
  /** Finite; higher runs first; FIFO among equals. Default 0. */
  readonly priority?: number;
  /** Integer >= 0; attempts = maxRetries + 1. Default from the manager's `retry.maxRetries`. */
  readonly maxRetries?: number;
  /** Per attempt, > 0 or Infinity. Default from the manager's `timeout`. */
  readonly timeoutMs?: number;
  /** Passed to the manager's timeout function. */
  readonly callbackName?: string;
  /**
   * Cancels the task when aborted, in every state (like `cancel(id)`); one signal may cancel many tasks. Already
   * aborted: refused with `Aborted`. Its `reason` is the handler's `ctx.signal.reason` and the outcome's `abortReason`.
   */
  readonly signal?: AbortSignal;
  /** Not before this many ms (>= 0, finite): waits off its queue (no slot, no timer of its own), then enters it like a
   * new task. Cancellable and re-prioritisable meanwhile; `stats().providers[p].delayed` counts it; drain waits for it. */
  readonly delayMs?: number;
  /** Not before this time on the manager's scheduler (`scheduler.now()`); a time past is now. */
  readonly runAt?: number;
  /** Slots of its server's budget each attempt takes (integer >= 1; default 1; README "Task weight"). */
  readonly weight?: number;
}

/** The task as a handler sees it. */
export interface Task<P = unknown> {
  readonly id: string;
  readonly provider: string;
  readonly payload: P;
  readonly priority: number;
  readonly maxRetries: number;
  /** The scheduler's `now()` at submission. */
  readonly submittedAt: number;
}

/**
 * Why a task was cancelled: `cancel` (`cancel(id)`), `shutdown`, `abort` (its `signal`), `clear`
 * (`clear(provider)`), `overflow` (dropped from a full queue by `overflow: 'drop-oldest'`).
 */
export type CancelReason = 'cancel' | 'shutdown' | 'abort' | 'clear' | 'overflow';

/** The one outcome of an accepted task. */
export type TaskOutcome<R = unknown> =
  | { readonly _tag: 'Succeeded'; readonly id: string; readonly value: R; readonly attempts: number; readonly server: string; readonly elapsedMs: number }
  | { readonly _tag: 'Failed'; readonly id: string; readonly error: unknown; readonly attempts: number; readonly elapsedMs: number }
  | { readonly _tag: 'Cancelled'; readonly id: string; readonly reason: CancelReason; readonly attempts: number; readonly elapsedMs: number; readonly abortReason?: unknown };

export type SubmitRejected =
  | { readonly _tag: 'DuplicateId'; readonly id: string }
  | { readonly _tag: 'UnknownProvider'; readonly provider: string }
  | { readonly _tag: 'ShuttingDown' }
  | { readonly _tag: 'InvalidTask'; readonly field: string; readonly message: string }
  | { readonly _tag: 'Aborted'; readonly reason: unknown }
  /** The provider's queue holds `maxQueued` tasks and its overflow policy refused this one. */
  | { readonly _tag: 'QueueFull'; readonly provider: string; readonly maxQueued: number }
  | { readonly _tag: 'TooHeavy'; readonly provider: string; readonly weight: number; readonly largestLimit: number }; // above every limit of the pool

export type CancelResult =
  | { readonly _tag: 'RemovedFromQueue' }
  | { readonly _tag: 'InterruptedRunning'; readonly server: string }
  | { readonly _tag: 'CancelledWhileWaiting' }
  | { readonly _tag: 'NotFound' }
  | { readonly _tag: 'ShutDown' };

/** Why `pause`, `resume` or `clear` was refused. */
export type FlowRejected = { readonly _tag: 'UnknownProvider'; readonly provider: string } | { readonly _tag: 'ShuttingDown' };

/** What `clear(provider)` cancelled: the ids of the tasks and commands it took out of the queue, best first. */
export interface ClearReport {
  readonly provider: string;
  readonly cancelled: readonly string[];
}

/** Why `setPriority` was refused. */
export type SetPriorityRejected =
  | { readonly _tag: 'NotFound'; readonly id: string }
  /** It is running or waiting out a retry's backoff: only a queued task can move. */
  | { readonly _tag: 'NotQueued'; readonly id: string }
  | { readonly _tag: 'InvalidPriority'; readonly message: string }
  | { readonly _tag: 'ShutDown' };

export type ConfigRejected =
  | { readonly _tag: 'UnknownProvider'; readonly provider: string }
  | { readonly _tag: 'ShuttingDown' }
  | { readonly _tag: 'InvalidConfig'; readonly field: string; readonly message: string };

export interface ShutdownReport {
  readonly mode: 'drain' | 'cancel';
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Tasks that did not succeed or fail: persist them and resubmit at the next start. */
  readonly unfinished: readonly TaskInput[];
  /** Ids of commands the shutdown cancelled (a command is a function: its owner issues it again). */
  readonly unfinishedCommands: readonly string[];
}

/** Options of the exponential backoff between retries. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. @default 100 */
  readonly initialDelayMs?: number;
  /** Growth per retry. @default 2 */
  readonly multiplier?: number;
  /** Cap, in ms. @default 30_000 */
  readonly maxDelayMs?: number;
  /** @default 'full' */
  readonly jitter?: 'none' | 'full' | 'equal' | 'decorrelated';
}

/** Pino-compatible logger: `debug/info/warn/error(obj, msg)`. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The fields every {@link TaskEvent} has. @since 0.1.0 */
export interface TaskEventBase {
  readonly id: string;
  readonly provider: string;
  /** The scheduler's `now()` when it happened. */
  readonly at: number;
}

/** Everything that happens to a task, as a discriminated union on `type`. */
export type TaskEvent =
  | (TaskEventBase & { readonly type: 'queued'; readonly priority: number })
  | (TaskEventBase & { readonly type: 'waiting-for-slot' })
  | (TaskEventBase & { readonly type: 'started'; readonly attempt: number; readonly server: string })
  | (TaskEventBase & { readonly type: 'retrying'; readonly attempt: number; readonly error: unknown; readonly delayMs: number })
  | (TaskEventBase & { readonly type: 'abandoned'; readonly attempt: number; readonly server: string })
  | (TaskEventBase & { readonly type: 'progress'; readonly attempt: number; readonly value: unknown })
  | (TaskEventBase & { readonly type: 'succeeded'; readonly attempts: number; readonly server: string; readonly elapsedMs: number })
  | (TaskEventBase & { readonly type: 'failed'; readonly attempts: number; readonly error: unknown; readonly elapsedMs: number })
  | (TaskEventBase & { readonly type: 'cancelled'; readonly attempts: number; readonly reason: CancelReason; readonly elapsedMs: number });

export type TaskEventType = TaskEvent['type'];

export interface ProviderStats {
  /** In the priority queue, waiting for a server slot. */
  readonly queued: number;
  /** Out of the queue but not running: in a retry's backoff, or acquiring a remote slot. */
  readonly waiting: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Retries scheduled so far. */
  readonly retries: number;
  /** Submitted with `delayMs`/`runAt` and not due yet. */
  readonly delayed: number;
  /** `pause(provider)` holds its queue (nothing of it starts) until `resume(provider)`. */
  readonly paused: boolean;
  /**
   * The budget each server of its pool draws on: pool entry (as listed, without user:password@) → budget key, a key of
   * {@link StatsSnapshot.servers}. Several entries may share one budget, and several providers too.
   * @since 0.2.0
   */
  readonly budgetOf: Readonly<Record<string, string>>;
}

export interface BudgetStats {
  /** May be Infinity. */
  readonly limit: number;
  readonly inUse: number; // by weight: a running task of weight 2 counts 2
  /** Queued tasks of providers that can use this budget. */
  readonly waiters: number;
  /** With `adaptiveLimits` on this budget: the adaptive limit, its bounds and why it last moved. */
  readonly adaptive?: { readonly limit: number; readonly min: number; readonly max: number; readonly algorithm: string; readonly reason: LimitReason | undefined };
  /** With `health` on, once the budget failed once: ejected (until when), half-open or healthy. */
  readonly health?: { readonly state: 'ejected'; readonly until: number } | { readonly state: 'healthy' | 'half-open' };
}

export interface StatsSnapshot {
  readonly providers: Readonly<Record<string, ProviderStats>>;
  /** One entry per budget key (see "Server keys and budgets" in the README). */
  readonly servers: Readonly<Record<string, BudgetStats>>;
}

/** What the dashboard (smt-rx/dashboard) and the metrics (smt-rx/otel) read. Every `TaskManager` is one. */
export interface ObservedManager {
  stats(): StatsSnapshot;
  readonly stats$: Observable<StatsSnapshot>;
  readonly events$: Observable<TaskEvent>;
  /** Adaptive limits and health events (every `TaskManager` has them; optional for other sources). */
  readonly serverEvents$?: Observable<ServerEvent>;
  /** Optional: the budgets across processes (see `TaskManager.clusterStats$`), shown beside `stats` when given. */
  readonly clusterStats$?: Observable<ClusterStats>;
}
