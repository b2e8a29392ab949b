import { TaskState, type TaskRecord } from './taskRecord.js';
import type { Timeline, TimelineEntry, TimelineTarget } from '../internal/timeline.js';

/**
 * The slot-wait bound of one provider with one timer: tasks enter the queue in time order, so the
 * oldest entry always expires first. Entries of tasks that have started (or left and re-entered)
 * are stale and dropped when they reach the front.
 * @internal
 */
export class SlotWaitWatch implements TimelineTarget {
  #records: TaskRecord[] = [];
  // When each entry entered the queue, and which of the task's entries it was.
  #times: number[] = [];
  #entries: number[] = [];
  #head = 0;
  #entry: TimelineEntry | undefined = undefined;

  constructor(
    readonly timeline: Timeline,
    readonly maxWaitMs: number,
    readonly expired: (record: TaskRecord, waitedMs: number) => void,
  ) {}

  watch(record: TaskRecord, now: number): void {
    this.#records.push(record);
    this.#times.push(now);
    this.#entries.push(record.entries);
    if (this.#entry === undefined) this.#book();
  }

  onTime(): void {
    this.#entry = undefined;
    const now = this.timeline.now();
    while (this.#head < this.#records.length) {
      const record = this.#records[this.#head] as TaskRecord;
      const enteredAt = this.#times[this.#head] as number;
      const stillWaiting = record.state === TaskState.Queued && record.entries === this.#entries[this.#head];
      if (stillWaiting && enteredAt + this.maxWaitMs > now) break;
      this.#records[this.#head] = undefined as unknown as TaskRecord;
      this.#head++;
      if (stillWaiting) this.expired(record, now - enteredAt);
    }
    if (this.#head === this.#records.length) {
      this.#records = [];
      this.#times = [];
      this.#entries = [];
      this.#head = 0;
    } else {
      this.#book();
    }
  }

  clear(): void {
    this.timeline.cancel(this.#entry);
    this.#entry = undefined;
    this.#records = [];
    this.#times = [];
    this.#entries = [];
    this.#head = 0;
  }

  #book(): void {
    const enteredAt = this.#times[this.#head] as number;
    const delay = Math.max(0, enteredAt + this.maxWaitMs - this.timeline.now());
    this.#entry = this.timeline.after(delay, this);
  }
}
