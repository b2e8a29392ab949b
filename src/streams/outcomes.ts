import type { Observable } from 'rxjs';
import { GuardedObservable } from '../internal/guardedObservable.js';
import type { CancelReason, TaskEvent, TaskOutcome } from '../types.js';
import { Effect } from './effects.js';
import type { ManagerCore } from './managerCore.js';
import { cancelledEnding, outcomeEvent, outcomeOf } from './taskEnding.js';
import { taskHistory } from './taskHistory.js';
import { Ending, type TaskObserver } from './taskParts.js';
import { TaskState, type TaskRecord, type Lane } from './taskRecord.js';

/**
 * The one outcome of every task, and who hears it: `events$`, the handle's `outcome$` and
 * `events$`, `run()`. The outcome is decided inside a transition; the listeners run after it.
 * @internal
 */
export class Outcomes {
  /** Called when the last live task is forgotten during a shutdown. */
  whenIdle: (() => void) | undefined = undefined;
  /** The shutdown's report lists what it cancelled, to be submitted again. */
  onShutdownCancel: ((record: TaskRecord) => void) | undefined = undefined;

  constructor(readonly core: ManagerCore) {}

  /** The task ends: `result` is its value (succeeded), error (failed) or abort reason (cancelled by its signal). */
  finish(lane: Lane, record: TaskRecord, ending: Ending, result: unknown, now = this.core.timeline.now()): void {
    record.state = TaskState.Done;
    record.end(ending, result, record.elapsedAt(now));
    // Only tasks submitted with a signal listen to it (the common task has no extras).
    if (record.extras?.signal !== undefined) record.unwatch?.();
    if (ending === Ending.Succeeded) lane.succeeded++;
    else if (ending === Ending.Failed) lane.failed++;
    else lane.cancelled++;
    const core = this.core;
    if (core.observed(record)) core.emit(record, outcomeEvent(record, now));
    if (record.listeners !== undefined) core.defer(Effect.Outcome, record);
    const run = record.attempt;
    if (run === undefined || run.settled) this.forget(record);
    core.statsChanged();
  }

  finishCancelled(lane: Lane, record: TaskRecord, reason: CancelReason, abortReason?: unknown): void {
    if (reason === 'shutdown') this.onShutdownCancel?.(record);
    this.finish(lane, record, cancelledEnding(reason), abortReason);
  }

  /** The id is free again once the outcome is out and no attempt of it holds a slot. */
  forget(record: TaskRecord): void {
    record.retire();
    this.core.registry.delete(record);
    if (this.core.registry.size === 0) this.whenIdle?.();
  }

  /** Effect: the outcome's listeners, each guarded. */
  runListeners(record: TaskRecord): void {
    const listeners = record.listeners;
    const outcome = outcomeOf(record);
    if (listeners === undefined || outcome === undefined) return;
    record.listeners = undefined;
    for (const listener of listeners) {
      try {
        listener(outcome);
      } catch (error) {
        this.core.reportThrow('outcome listener', error, record.id);
      }
    }
  }

  /** Calls `listener` with the outcome: now if it is known, else once it is. */
  onOutcome(record: TaskRecord, listener: (outcome: TaskOutcome) => void): () => void {
    const outcome = outcomeOf(record);
    if (outcome !== undefined) {
      listener(outcome);
      return () => undefined;
    }
    (record.listeners ??= []).push(listener);
    return () => {
      const index = record.listeners?.indexOf(listener) ?? -1;
      if (index >= 0) record.listeners?.splice(index, 1);
    };
  }

  outcomeOf<R>(record: TaskRecord): Observable<TaskOutcome<R>> {
    return new GuardedObservable<TaskOutcome<R>>(
      (subscriber) =>
        this.onOutcome(record, (outcome) => {
          subscriber.next(outcome as TaskOutcome<R>);
          subscriber.complete();
        }),
      (error) => this.core.reportThrow('handle subscriber', error, record.id),
    );
  }

  /**
   * The task's events from `queued` on: what happened so far is replayed (rebuilt from the record,
   * see `taskHistory`), then each new one is delivered to this subscriber directly: O(1) per event,
   * however many handles are watched.
   */
  eventsOf(record: TaskRecord): Observable<TaskEvent> {
    return new GuardedObservable<TaskEvent>(
      (subscriber) => {
        const core = this.core;
        const history = taskHistory(record);
        const done = record.ending !== Ending.None;
        const observer: TaskObserver = { subscriber, from: core.deferredCount };
        // Registered first and replayed inside a transition: an event the replay's subscriber
        // causes (a cancel) is delivered after the replay, in order.
        core.enter();
        try {
          if (!done) (record.observers ??= []).push(observer);
          for (const event of history) subscriber.next(event);
          if (done) subscriber.complete();
        } finally {
          core.exit();
        }
        return () => removeObserver(record, observer);
      },
      (error) => this.core.reportThrow('handle subscriber', error, record.id),
    );
  }
}

function removeObserver(record: TaskRecord, observer: TaskObserver): void {
  const observers = record.observers;
  if (observers === undefined) return;
  const rest = observers.filter((o) => o !== observer);
  record.observers = rest.length > 0 ? rest : undefined;
}
