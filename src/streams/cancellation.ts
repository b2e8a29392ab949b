import { InvalidOptionError } from '../errors/invalidOption.js';
import { TaskCancelledError } from '../errors/TaskCancelledError.js';
import type { CancelReason, CancelResult } from '../types.js';
import type { ManagerCore } from './managerCore.js';
import type { Outcomes } from './outcomes.js';
import { leaveDelay } from './delayedTasks.js';
import { CancelledFrom } from './taskParts.js';
import { TaskState, type TaskRecord } from './taskRecord.js';

// One shared, frozen result each: a cancel of a queued task allocates no result of its own.
const REMOVED_FROM_QUEUE: CancelResult = Object.freeze({ _tag: 'RemovedFromQueue' });
const CANCELLED_WHILE_WAITING: CancelResult = Object.freeze({ _tag: 'CancelledWhileWaiting' });

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
    // Checked before anything touches it: a Symbol or an object whose toString throws gets a TypeError naming `id`.
    if (typeof id !== 'string') throw new InvalidOptionError('id', 'a string', id);
    if (this.core.phase === 'stopped') return { _tag: 'ShutDown' };
    const record = this.core.registry.get(id);
    return record === undefined ? { _tag: 'NotFound' } : this.cancelRecord(record);
  }

  /** `abortReason`: the reason of the submission's signal, for `abort` (the handler's signal gets it as it is). */
  cancelRecord(record: TaskRecord, reason: CancelReason = 'cancel', abortReason?: unknown): CancelResult {
    const earlier = earlierResult(record);
    if (earlier !== undefined) return earlier;
    if (this.core.phase === 'stopped') return { _tag: 'ShutDown' };
    const result = this.#leave(record);
    if (result === undefined) return { _tag: 'NotFound' };
    // Kept for a second cancel of the same task by its owner; a task the shutdown cancelled is
    // finished, and a later cancel() says so (NotFound), not what the shutdown's cancel found.
    if (reason === 'cancel') keepResult(record, result);
    // Aborted before the outcome is announced: a handler that settles on abort frees its id (and
    // slot) before the outcome's listeners run.
    if (result._tag === 'InterruptedRunning') record.attempt?.requestAbort(reason === 'abort' ? abortReason : new TaskCancelledError(record.id, reason));
    this.outcomes.finishCancelled(record.home, record, reason, abortReason);
    return result;
  }

  /** Takes the task out of where it is; undefined when it has finished already. */
  #leave(record: TaskRecord): CancelResult | undefined {
    const lane = record.home;
    switch (record.state) {
      case TaskState.Queued:
        lane.dequeue(record);
        return REMOVED_FROM_QUEUE;
      case TaskState.Waiting:
        record.retry?.cancel(this.core.timeline);
        lane.waiting--;
        return CANCELLED_WHILE_WAITING;
      case TaskState.Delayed:
        leaveDelay(this.core, record);
        return REMOVED_FROM_QUEUE;
      case TaskState.Running:
        lane.running--;
        return { _tag: 'InterruptedRunning', server: record.attempt?.server ?? '' };
      default:
        return undefined;
    }
  }
}

/** What an earlier cancel of the task by its owner returned, if there was one. */
function earlierResult(record: TaskRecord): CancelResult | undefined {
  switch (record.cancelledFrom) {
    case CancelledFrom.None:
      return undefined;
    case CancelledFrom.Queue:
      return REMOVED_FROM_QUEUE;
    case CancelledFrom.Backoff:
      return CANCELLED_WHILE_WAITING;
    default:
      return record.interruptedResult;
  }
}

/** Keeps a cancel's result as two bits of the record, and the rare running case whole. */
function keepResult(record: TaskRecord, result: CancelResult): void {
  if (result === REMOVED_FROM_QUEUE) {
    record.cancelledFrom = CancelledFrom.Queue;
  } else if (result === CANCELLED_WHILE_WAITING) {
    record.cancelledFrom = CancelledFrom.Backoff;
  } else {
    record.cancelledFrom = CancelledFrom.Run;
    record.interruptedResult = result;
  }
}
