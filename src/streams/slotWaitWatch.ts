import { Deque } from '../internal/deque.js';
import type { Timeline, TimelineEntry, TimelineTarget } from '../internal/timeline.js';
import type { SlotWaitBound } from './providerLane.js';
import { TaskState, type TaskRecord } from './taskRecord.js';

/** One entry of a task into the queue. */
interface Watched {
  readonly record: TaskRecord;
  /** When it entered. */
  readonly at: number;
  /** Which of the task's entries it was (a retry enters again). */
  readonly entry: number;
}

const stillWaiting = (w: Watched): boolean => w.record.state === TaskState.Queued && w.record.entries === w.entry;

/**
 * The slot-wait bound of one provider with one timer: tasks enter the queue in time order, so the
 * oldest entry always expires first. Entries of tasks that have started (or left and re-entered)
 * are stale: dropped when they reach the front, or all at once when they outnumber the tasks
 * still waiting (so a finished task, payload and all, is not held for `maxWaitMs`).
 * @internal
 */
export class SlotWaitWatch implements TimelineTarget, SlotWaitBound<TaskRecord> {
  readonly #watched = new Deque<Watched>();
  #entry: TimelineEntry | undefined = undefined;

  constructor(
    readonly timeline: Timeline,
    readonly maxWaitMs: number,
    /** How many tasks of the provider wait in its queue now. */
    readonly waiting: () => number,
    readonly expired: (record: TaskRecord, waitedMs: number) => void,
  ) {}

  watch(record: TaskRecord, now: number): void {
    const watched = this.#watched;
    if (watched.size > 2 * this.waiting() + 1024) watched.retain(stillWaiting);
    watched.push({ record, at: now, entry: record.entries });
    if (this.#entry === undefined) this.#book();
  }

  onTime(): void {
    this.#entry = undefined;
    const now = this.timeline.now();
    const watched = this.#watched;
    for (let head = watched.peek(); head !== undefined; head = watched.peek()) {
      const waiting = stillWaiting(head);
      if (waiting && head.at + this.maxWaitMs > now) break;
      watched.shift();
      if (waiting) this.expired(head.record, now - head.at);
    }
    if (watched.size > 0) this.#book();
  }

  clear(): void {
    this.timeline.cancel(this.#entry);
    this.#entry = undefined;
    this.#watched.clear();
  }

  #book(): void {
    const head = this.#watched.peek() as Watched;
    const delay = Math.max(0, head.at + this.maxWaitMs - this.timeline.now());
    this.#entry = this.timeline.after(delay, this);
  }
}
