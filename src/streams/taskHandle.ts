import type { Observable } from 'rxjs';
import type { CancelResult, TaskEvent, TaskOutcome } from '../types.js';
import type { TaskRecord } from './taskRecord.js';

/** The parts of the manager a handle calls. @internal */
export interface HandleHost {
  outcomeOf<R>(record: TaskRecord): Observable<TaskOutcome<R>>;
  eventsOf(record: TaskRecord): Observable<TaskEvent>;
  cancelRecord(record: TaskRecord): CancelResult;
}

/** What `submit` gives back for an accepted task. */
export interface TaskHandle<R = unknown> {
  readonly id: string;
  /** Emits the one outcome (replayed to late subscribers), then completes. */
  readonly outcome$: Observable<TaskOutcome<R>>;
  /** This task's events; completes after its outcome event. */
  readonly events$: Observable<TaskEvent>;
  /** Same as `manager.cancel(id)`; a second call returns the first call's result. */
  cancel(): CancelResult;
}

/** A thin view on the manager's record: creating one costs one small object. @internal */
export class TaskHandleImpl<R> implements TaskHandle<R> {
  constructor(
    readonly host: HandleHost,
    readonly record: TaskRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get outcome$(): Observable<TaskOutcome<R>> {
    return this.host.outcomeOf<R>(this.record);
  }

  get events$(): Observable<TaskEvent> {
    return this.host.eventsOf(this.record);
  }

  cancel(): CancelResult {
    return this.host.cancelRecord(this.record);
  }
}
