import { TaskCancelledError } from '../errors/TaskCancelledError.js';
import type { CancelResult } from '../types.js';
import type { ManagerCore } from './managerCore.js';
import type { Outcomes } from './outcomes.js';
import { TaskState, type TaskRecord } from './taskRecord.js';

/**
 * Cancel in every state, as one transition: a queued task leaves its queue, a waiting one its
 * backoff, a running one has its attempt aborted (after the transition: the abort runs user code)
 * and keeps its slot until the handler settles. The outcome is `Cancelled` at once.
 * @internal
 */
export class Cancellation {
  constructor(
    readonly core: ManagerCore,
    readonly outcomes: Outcomes,
  ) {}

  cancel(id: string): CancelResult {
    if (this.core.phase === 'stopped') return { _tag: 'ShutDown' };
    const record = this.core.registry.get(id);
    return record === undefined ? { _tag: 'NotFound' } : this.cancelRecord(record);
  }

  cancelRecord(record: TaskRecord, reason: 'cancel' | 'shutdown' = 'cancel'): CancelResult {
    if (record.cancelResult !== undefined) return record.cancelResult;
    if (this.core.phase === 'stopped') return { _tag: 'ShutDown' };
    const result = this.#leave(record);
    if (result === undefined) return { _tag: 'NotFound' };
    record.cancelResult = result;
    // Aborted before the outcome is announced: a handler that settles on abort frees its id (and
    // slot) before the outcome's listeners run.
    if (result._tag === 'InterruptedRunning') record.attempt?.requestAbort(new TaskCancelledError(record.id, reason));
    this.outcomes.finishCancelled(record.home, record, reason);
    return result;
  }

  /** Takes the task out of where it is; undefined when it has finished already. */
  #leave(record: TaskRecord): CancelResult | undefined {
    const lane = record.home;
    switch (record.state) {
      case TaskState.Queued:
        lane.queue.remove(record);
        return { _tag: 'RemovedFromQueue' };
      case TaskState.Waiting:
        record.retry?.cancel(this.core.timeline);
        lane.waiting--;
        return { _tag: 'CancelledWhileWaiting' };
      case TaskState.Running:
        lane.running--;
        return { _tag: 'InterruptedRunning', server: record.attempt?.server ?? '' };
      default:
        return undefined;
    }
  }
}
