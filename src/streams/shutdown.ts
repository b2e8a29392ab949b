import { invalidMessage } from '../errors/invalidOption.js';
import { expectNonNegativeOrInfinity } from '../errors/checks.js';
import { readFields } from '../errors/readOnce.js';
import type { ShutdownReport, TaskInput } from '../types.js';
import type { AttemptRun } from './attemptRun.js';
import type { Cancellation } from './cancellation.js';
import { Effect } from './effects.js';
import type { ManagerCore } from './managerCore.js';
import type { Outcomes } from './outcomes.js';
import type { ShutdownOptions } from './taskManagerApi.js';
import type { TimelineEntry } from '../internal/timeline.js';
import { TaskState, type TaskRecord } from './taskRecord.js';

/** What a cancel shutdown cancels at once: every task not running, delayed ones too (else they would run when due). */
function notStarted(record: TaskRecord): boolean {
  return record.state === TaskState.Queued || record.state === TaskState.Waiting || record.state === TaskState.Delayed;
}

/**
 * Graceful shutdown: drain or cancel, a grace period after which what is left is cancelled and
 * running attempts are abandoned, and one report once every task has its outcome and every
 * attempt has settled. Afterwards no timer is left, so a Node process exits by itself.
 * @internal
 */
export class Shutdown {
  #promise: Promise<ShutdownReport> | undefined = undefined;
  #resolve: ((report: ShutdownReport) => void) | undefined = undefined;
  #report: ShutdownReport | undefined = undefined;
  readonly #unfinished: TaskInput[] = [];
  readonly #unfinishedCommands: string[] = [];
  #grace: TimelineEntry | undefined = undefined;
  /** A drain lets paused providers go on (set by the manager): what waits there would never end. */
  beforeDrain: (() => void) | undefined = undefined;

  constructor(
    readonly core: ManagerCore,
    readonly outcomes: Outcomes,
    readonly cancellation: Cancellation,
  ) {
    outcomes.whenIdle = () => {
      if (core.phase === 'stopping') this.#stop();
    };
    // A command is a function, not a TaskInput: it is reported by id, to be issued again by its owner.
    outcomes.onShutdownCancel = (record) => {
      if (record.command === undefined) this.#unfinished.push(inputOf(record));
      else this.#unfinishedCommands.push(record.id);
    };
  }

  shutdown(given: ShutdownOptions = {}): Promise<ShutdownReport> {
    if (this.#promise !== undefined && this.core.phase === 'stopped') return this.#promise;
    if (given === null || typeof given !== 'object') return Promise.reject(new TypeError(invalidMessage('options', 'an object', given)));
    let options: ShutdownOptions;
    try {
      options = readFields(given, ['mode', 'graceMs'], '') as ShutdownOptions;
    } catch (error) {
      return Promise.reject(error as TypeError);
    }
    const mode = options.mode ?? 'drain';
    if (mode !== 'drain' && mode !== 'cancel') return Promise.reject(new TypeError(invalidMessage('mode', "'drain' or 'cancel'", mode)));
    const graceMs = options.graceMs ?? (mode === 'cancel' ? 10_000 : Infinity);
    const graceProblem = expectNonNegativeOrInfinity(graceMs);
    if (graceProblem !== undefined) return Promise.reject(new TypeError(invalidMessage('graceMs', graceProblem, graceMs)));
    if (this.#promise !== undefined) return this.#escalate(mode, graceMs, this.#promise);
    if (mode === 'drain') this.beforeDrain?.();
    const core = this.core;
    core.shutdownMode = mode;
    core.phase = 'stopping';
    this.#promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (mode === 'cancel') this.#cancelAll(notStarted);
    // Cancelling may have ended the last task already; a grace timer then would outlive the stop.
    if (core.registry.size === 0) this.#stop();
    else this.#graceFor(graceMs);
    return this.#promise;
  }

  /**
   * A second call while stopping ("press Ctrl-C again"): a cancel after a drain cancels what waits,
   * and a grace period that ends sooner than the one running takes over. Same promise, one report.
   */
  #escalate(mode: 'drain' | 'cancel', graceMs: number, promise: Promise<ShutdownReport>): Promise<ShutdownReport> {
    const core = this.core;
    if (mode === 'cancel' && core.shutdownMode === 'drain') {
      core.shutdownMode = 'cancel';
      this.#cancelAll(notStarted);
    }
    if (core.registry.size === 0) this.#stop();
    else this.#graceFor(graceMs);
    return promise;
  }

  /** Books the end of the grace period, unless one already booked ends sooner. */
  #graceFor(graceMs: number): void {
    if (graceMs === Infinity) return;
    const at = this.core.timeline.now() + graceMs;
    if (this.#grace !== undefined && this.#grace.at <= at) return;
    this.core.timeline.cancel(this.#grace);
    this.#grace = this.core.timeline.after(graceMs, { onTime: () => this.#forceStop() });
  }

  /** The grace period is over: cancel what is left and give every slot back now. */
  #forceStop(): void {
    if (this.core.phase !== 'stopping') return;
    this.core.forced = true;
    for (const record of [...this.core.registry.values()]) {
      const run = record.attempt as AttemptRun | undefined;
      if (record.state !== TaskState.Done) this.cancellation.cancelRecord(record, 'shutdown');
      // After its abort has had its chance to settle it (an Observable handler does at once).
      if (run !== undefined && !run.settled) this.core.defer(Effect.Abandon, run);
    }
  }

  #cancelAll(which: (record: TaskRecord) => boolean): void {
    for (const record of [...this.core.registry.values()]) {
      if (which(record)) this.cancellation.cancelRecord(record, 'shutdown');
    }
  }

  #stop(): void {
    const core = this.core;
    if (core.phase === 'stopped') return;
    // The last snapshot is taken while the pools are still known to the broker.
    core.stats.freeze();
    core.phase = 'stopped';
    for (const lane of core.lanes.values()) lane.close();
    core.broker.dispose();
    core.timeline.clear();
    this.#report = this.#buildReport();
    core.defer(Effect.Stop, undefined);
  }

  /** Effect: the streams complete, then the report is out (once the coordinator we own is closed). */
  finish(): void {
    const core = this.core;
    core.stats.complete();
    core.events.complete();
    core.serverEvents.complete();
    core.callbackErrors.complete();
    core.finished.complete();
    const report = this.#report as ShutdownReport;
    const resolve = this.#resolve;
    const closing = core.o.ownsCoordinator ? core.o.coordinator.close() : Promise.resolve();
    closing.then(
      () => resolve?.(report),
      (error: unknown) => {
        core.log('error', { err: error }, 'closing the slot coordinator failed');
        resolve?.(report);
      },
    );
  }

  #buildReport(): ShutdownReport {
    let succeeded = 0;
    let failed = 0;
    let cancelled = 0;
    for (const lane of this.core.lanes.values()) {
      succeeded += lane.succeeded;
      failed += lane.failed;
      cancelled += lane.cancelled;
    }
    return { mode: this.core.shutdownMode, succeeded, failed, cancelled, unfinished: this.#unfinished, unfinishedCommands: this.#unfinishedCommands };
  }
}

/** The input that would submit a task again (for the shutdown report). */
function inputOf(record: TaskRecord): TaskInput {
  const input: { -readonly [K in keyof TaskInput]: TaskInput[K] } = {
    provider: record.provider,
    payload: record.payload,
    id: record.id,
    priority: record.givenPriority,
    maxRetries: record.maxRetries,
  };
  if (record.timeoutMs !== undefined) input.timeoutMs = record.timeoutMs;
  if (record.callbackName !== undefined) input.callbackName = record.callbackName;
  if (record.extras?.dueAt !== undefined) input.runAt = record.extras.dueAt;
  return input;
}
