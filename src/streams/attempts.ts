import { expectPositiveOrInfinity } from '../errors/checks.js';
import type { TimelineEntry } from '../internal/timeline.js';
import { finalError, retryDelay, type RetryPolicy } from '../operators/retryPolicy.js';
import { RetryWait } from '../operators/retryWait.js';
import type { SlotLease } from '../slots/brokerMember.js';
import type { AttemptContext, TaskEvent } from '../types.js';
import { enterQueue } from './admission.js';
import { AttemptRun, type AttemptHost } from './attemptRun.js';
import { ProgressThrottle } from './progress.js';
import { Effect } from './effects.js';
import type { ManagerCore } from './managerCore.js';
import { DEFAULT_TIMEOUT_MS } from './options.js';
import type { Outcomes } from './outcomes.js';
import { Ending } from './taskParts.js';
import { TaskState, type TaskRecord } from './taskRecord.js';
import { taskView } from './taskView.js';

/**
 * The manager's side of each attempt: what happens when one starts, when its result is known
 * (success; or a failure, retried after a backoff or final), when it is abandoned and when it
 * settles. The retry decision runs user code (`isRetryable`, `random`), so a failure is decided in
 * an effect and applied by a transition of its own, which first checks the task is still where
 * it was (user code may have cancelled it meanwhile).
 * @internal
 */
export class Attempts implements AttemptHost {
  readonly timeline;
  readonly #progress: ProgressThrottle;

  constructor(
    readonly core: ManagerCore,
    readonly outcomes: Outcomes,
  ) {
    this.timeline = core.timeline;
    this.#progress = new ProgressThrottle(core);
  }

  progress(run: AttemptRun, value: unknown): void {
    this.#progress.report(run, value);
  }

  /** serverSlots' `work`: a new attempt of the task on the leased server. */
  readonly work = (record: TaskRecord, lease: SlotLease): AttemptRun => new AttemptRun(this, record, lease);

  get busy(): boolean {
    return this.core.busy;
  }

  enter(): void {
    this.core.enter();
  }

  exit(): void {
    this.core.exit();
  }

  defer(effect: Effect, a: unknown, b?: unknown): void {
    this.core.defer(effect, a, b);
  }

  invoke(record: TaskRecord, ctx: AttemptContext): unknown {
    const command = record.command;
    return command !== undefined ? command(ctx) : record.home.provider.handle(taskView(record), ctx);
  }

  reportThrow(source: 'handler teardown' | 'abort listener', error: unknown, taskId: string): void {
    this.core.reportThrow(source, error, taskId);
  }

  timeoutFor(record: TaskRecord): number {
    if (record.timeoutMs !== undefined) return record.timeoutMs;
    const timeout = this.core.o.timeout;
    if (typeof timeout === 'number') return timeout;
    let value: unknown;
    try {
      value = timeout(record.callbackName ?? '', record.provider);
    } catch (error) {
      this.core.reportThrow('timeout function', error, record.id);
      this.core.log('warn', { taskId: record.id, err: error }, `timeout function threw; using ${DEFAULT_TIMEOUT_MS} ms`);
      return DEFAULT_TIMEOUT_MS;
    }
    if (expectPositiveOrInfinity(value) !== undefined) {
      this.core.log('warn', { taskId: record.id, value }, `timeout function returned an invalid timeout; using ${DEFAULT_TIMEOUT_MS} ms`);
      return DEFAULT_TIMEOUT_MS;
    }
    return value as number;
  }

  graceFor(timeoutMs: number): number {
    return this.core.o.abandonAfterMs ?? (timeoutMs === Infinity ? DEFAULT_TIMEOUT_MS : timeoutMs);
  }

  started(run: AttemptRun): TaskEvent | undefined {
    const record = run.record;
    record.state = TaskState.Running;
    record.attempts = run.attempt;
    record.attempt = run;
    const lane = record.home;
    lane.queued--;
    lane.running++;
    const core = this.core;
    core.statsChanged();
    if (!core.observed(record)) return undefined;
    // Delivered by the attempt's invoke effect, right before the handler call: one effect, not two.
    return { type: 'started', id: record.id, provider: record.provider, at: run.startedAt, attempt: run.attempt, server: run.server };
  }

  decided(run: AttemptRun, ok: boolean, valueOrError: unknown): void {
    const record = run.record;
    if (this.core.fleet !== undefined) this.core.fleet.result(run.server, run.startedAt, ok);
    if (record.attempt !== run || record.state !== TaskState.Running) return; // cancelled first
    if (!ok) {
      this.core.defer(Effect.DecideFailure, run, valueOrError, this.timeline.now());
      return;
    }
    const lane = record.home;
    lane.running--;
    const now = this.timeline.now();
    this.outcomes.finish(lane, record, Ending.Succeeded, valueOrError, now);
  }

  /** Effect: is the failure retried, and after how long? (`isRetryable` and `random` are user code.) */
  decideFailure(run: AttemptRun, error: unknown, failedAt: number): void {
    const record = run.record;
    if (record.attempt !== run || record.state !== TaskState.Running) return;
    const context = { taskId: record.id, provider: record.provider, server: run.server, attempt: run.attempt, err: error, timedOut: run.timedOut };
    this.core.log('warn', context, run.timedOut ? 'attempt timed out' : 'attempt failed');
    // The same decision as requeueWithBackoff's, with the manager's reporting around user code.
    const delayMs = retryDelay(error, record.attempts, record.retry?.lastDelayMs, this.#policy(record));
    this.enter();
    try {
      this.#applyFailure(run, error, delayMs, failedAt);
    } finally {
      this.exit();
    }
  }

  /** `delayMs`: the backoff before the retry, or undefined when the failure is final. */
  #applyFailure(run: AttemptRun, error: unknown, delayMs: number | undefined, failedAt: number): void {
    const record = run.record;
    if (record.attempt !== run || record.state !== TaskState.Running) return; // user code cancelled it
    const core = this.core;
    const lane = record.home;
    lane.running--;
    const now = this.timeline.now();
    // A final failure is the task's outcome, shutdown or not; only a retry it would get is cancelled.
    if (delayMs !== undefined && core.phase === 'stopping' && core.cancelsRunning) {
      this.outcomes.finishCancelled(lane, record, 'shutdown');
      return;
    }
    if (delayMs === undefined) {
      const cause = finalError(error);
      this.core.log('error', { taskId: record.id, provider: record.provider, attempts: record.attempts, err: cause }, 'task failed');
      this.outcomes.finish(lane, record, Ending.Failed, cause, now);
      return;
    }
    const retry = (record.retry ??= new TaskRetry(this, record));
    retry.plan(delayMs, failedAt);
    record.state = TaskState.Waiting;
    lane.waiting++;
    lane.retries++;
    this.#remember(run, { type: 'retrying', id: record.id, provider: record.provider, at: now, attempt: record.attempts, error, delayMs });
    // A retry never overlaps its last attempt: booked once that has settled.
    if (run.settled) retry.book(this.timeline);
    core.statsChanged();
  }

  abandoned(run: AttemptRun): void {
    const record = run.record;
    this.core.log('warn', { taskId: record.id, provider: record.provider, server: run.server, attempt: run.attempt }, 'handler ignored its aborted signal; slot released');
    this.#remember(run, { type: 'abandoned', id: record.id, provider: record.provider, at: this.timeline.now(), attempt: run.attempt, server: run.server });
  }

  settled(run: AttemptRun): void {
    const record = run.record;
    if (this.core.fleet !== undefined) this.core.fleet.lost(run.server, run.startedAt);
    if (record.attempt !== run) return;
    const retry = record.retry;
    if (record.state === TaskState.Waiting && retry !== undefined && retry.backoff === undefined) retry.book(this.timeline);
    else if (record.state === TaskState.Done) this.outcomes.forget(record);
  }

  /** The backoff is over: into the queue again, at the task's priority and submission order. */
  retryNow(record: TaskRecord): void {
    if (record.state !== TaskState.Waiting) return;
    const lane = record.home;
    lane.waiting--;
    record.state = TaskState.Queued;
    enterQueue(this.core, lane, record);
  }

  /** A rare event: kept on the attempt for the handle's replay (until the outcome), and emitted. */
  #remember(run: AttemptRun, event: TaskEvent): void {
    const record = run.record;
    if (record.state !== TaskState.Done) (run.later ??= []).push(event);
    const core = this.core;
    if (core.observed(record)) core.emit(record, event);
  }

  /** The manager's retry policy for a task: its `maxRetries`, and user code that reports its throws. */
  #policy(record: TaskRecord): RetryPolicy {
    const isRetryable = this.core.o.isRetryable;
    return {
      maxRetries: record.maxRetries,
      backoff: this.core.o.backoff,
      isRetryable: isRetryable === undefined ? undefined : (e: unknown) => this.#judge(isRetryable, e, record.id),
      random: this.#random(record.id),
    };
  }

  #judge(isRetryable: (error: unknown) => boolean, error: unknown, taskId: string): boolean {
    try {
      return Boolean(isRetryable(error));
    } catch (thrown) {
      this.core.reportThrow('isRetryable', thrown, taskId);
      return false;
    }
  }

  #random(taskId: string): () => number {
    const random = this.core.o.random;
    return () => {
      try {
        return random();
      } catch (thrown) {
        this.core.reportThrow('random', thrown, taskId);
        return Number.NaN; // backoffDelay reads it as the middle of the range
      }
    };
  }
}

/** A task's retries: booked on the manager's timeline like `requeueWithBackoff` books an item's. */
class TaskRetry extends RetryWait<TimelineEntry> {
  constructor(
    readonly attempts: Attempts,
    readonly record: TaskRecord,
  ) {
    super();
  }

  protected due(): void {
    this.attempts.retryNow(this.record);
  }
}
