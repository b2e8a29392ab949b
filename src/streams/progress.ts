import type { TimelineEntry, TimelineTarget } from '../internal/timeline.js';
import type { AttemptRun } from './attemptRun.js';
import type { ManagerCore } from './managerCore.js';
import { TaskState } from './taskRecord.js';

/** An attempt's open gap: the calls made in it are coalesced into the latest value. */
class ProgressGap implements TimelineTarget {
  pending = false;
  value: unknown = undefined;
  entry: TimelineEntry | undefined = undefined;

  constructor(
    readonly throttle: ProgressThrottle,
    readonly run: AttemptRun,
  ) {}

  onTime(): void {
    this.throttle.gapEnded(this);
  }
}

/**
 * `ctx.progress(value)` as events, throttled per attempt (leading and trailing): the first call
 * emits a `progress` event at once and opens a gap of `progressIntervalMs`; calls inside the gap
 * only keep the latest value, which is emitted when the gap ends (opening the next one). So a
 * handler calling it 100,000 times in a loop causes two events, and one every interval at most
 * while it goes on. Gaps are booked on the manager's one timeline. Calls after the attempt has its
 * result (or from an attempt that is not the task's current one) are ignored.
 * @internal
 */
export class ProgressThrottle {
  // Weak: with progressIntervalMs Infinity no gap ever ends, and a finished attempt must not stay.
  readonly #gaps = new WeakMap<AttemptRun, ProgressGap>();

  constructor(readonly core: ManagerCore) {}

  report(run: AttemptRun, value: unknown): void {
    if (!isCurrent(run)) return;
    const gap = this.#gaps.get(run);
    if (gap !== undefined) {
      gap.value = value;
      gap.pending = true;
      return;
    }
    const core = this.core;
    core.enter();
    try {
      const opened = new ProgressGap(this, run);
      this.#gaps.set(run, opened);
      this.#emit(run, value);
      this.#book(opened);
    } finally {
      core.exit();
    }
  }

  /** A gap's time came (inside a transition): its latest value goes out and the next gap opens. */
  gapEnded(gap: ProgressGap): void {
    gap.entry = undefined;
    if (!gap.pending || !isCurrent(gap.run)) {
      this.#gaps.delete(gap.run);
      return;
    }
    gap.pending = false;
    const value = gap.value;
    gap.value = undefined;
    this.#emit(gap.run, value);
    this.#book(gap);
  }

  #book(gap: ProgressGap): void {
    const interval = this.core.o.progressIntervalMs;
    if (interval !== Infinity) gap.entry = this.core.timeline.after(interval, gap);
  }

  #emit(run: AttemptRun, value: unknown): void {
    const core = this.core;
    const record = run.record;
    if (!core.observed(record)) return;
    core.emit(record, { type: 'progress', id: record.id, provider: record.provider, at: core.timeline.now(), attempt: run.attempt, value });
  }
}

const isCurrent = (run: AttemptRun): boolean => run.record.attempt === run && run.record.state === TaskState.Running;
