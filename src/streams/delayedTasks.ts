import { enterQueue } from './admission.js';
import type { ManagerCore } from './managerCore.js';
import { TaskState, type Lane, type TaskRecord } from './taskRecord.js';

/**
 * Tasks submitted with `delayMs` or `runAt`: each waits off its queue (state `Delayed`), holding no
 * slot, as one entry of the manager's one timeline (no timer of its own), and enters its queue
 * when due, like a new submission. The entry is kept in the record's rare state (`delay`), where a
 * cancel, a clear or a shutdown finds it.
 * @internal
 */
export class DelayedTasks {
  constructor(readonly core: ManagerCore) {}

  hold(lane: Lane, record: TaskRecord, dueAt: number): void {
    const core = this.core;
    record.state = TaskState.Delayed;
    lane.delayed++;
    record.delay = core.timeline.after(dueAt - core.timeline.now(), { onTime: () => this.#due(record) });
    core.statsChanged();
  }

  /** Cancelled or cleared before it was due. */
  leave(record: TaskRecord): void {
    leaveDelay(this.core, record);
  }

  #due(record: TaskRecord): void {
    if (record.state !== TaskState.Delayed) return;
    record.delay = undefined;
    record.home.delayed--;
    record.state = TaskState.Queued;
    enterQueue(this.core, record.home, record);
  }
}

/** A delayed task leaves its wait (a cancel, a clear, a shutdown): its timeline entry goes. */
export function leaveDelay(core: ManagerCore, record: TaskRecord): void {
  core.timeline.cancel(record.delay);
  record.delay = undefined;
  record.home.delayed--;
}

