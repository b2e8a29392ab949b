import { invalidMessage } from '../errors/invalidOption.js';
import { expectNonNegativeOrInfinity } from '../errors/checks.js';
import type { ShutdownReport, TaskInput } from '../types.js';
import type { AttemptRun } from './attemptRun.js';
import type { Cancellation } from './cancellation.js';
import { Effect } from './effects.js';
import type { ManagerCore } from './managerCore.js';
import type { Outcomes } from './outcomes.js';
import type { ShutdownOptions } from './taskManagerApi.js';
import { TaskState, type TaskRecord } from './taskRecord.js';

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
      if (record.command === undefined) this.#unfinished.push(record.toInput());
      else this.#unfinishedCommands.push(record.id);
    };
  }

  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    if (this.#promise !== undefined) return this.#promise;
    const mode = options.mode ?? 'drain';
    if (mode !== 'drain' && mode !== 'cancel') return Promise.reject(new TypeError(invalidMessage('mode', "'drain' or 'cancel'", mode)));
    const graceMs = options.graceMs ?? (mode === 'cancel' ? 10_000 : Infinity);
    const graceProblem = expectNonNegativeOrInfinity(graceMs);
    if (graceProblem !== undefined) return Promise.reject(new TypeError(invalidMessage('graceMs', graceProblem, graceMs)));
    const core = this.core;
    core.shutdownMode = mode;
    core.phase = 'stopping';
    this.#promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (mode === 'cancel') this.#cancelAll((record) => record.state === TaskState.Queued || record.state === TaskState.Waiting);
    // Cancelling may have ended the last task already; a grace timer then would outlive the stop.
    if (core.registry.size === 0) this.#stop();
    else if (graceMs !== Infinity) core.timeline.after(graceMs, { onTime: () => this.#forceStop() });
    return this.#promise;
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
