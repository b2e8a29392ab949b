import { Heap } from 'heap-js';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Clock } from './clock.js';
import { MAX_TIMER_MS } from './longDelay.js';

/** Something the timeline calls back when its time comes. */
export interface TimelineTarget {
  onTime(entry: TimelineEntry): void;
}

/** A booked time. Cancel with `timeline.cancel(entry)`: O(1), it is skipped when it comes up. */
export interface TimelineEntry {
  readonly at: number;
  readonly seq: number;
  readonly target: TimelineTarget;
  /** What the target booked it for (the target may book several kinds). */
  readonly kind: number;
  cancelled: boolean;
}

const byTime = (a: TimelineEntry, b: TimelineEntry): number => a.at - b.at || a.seq - b.seq;

/**
 * Every timed need of a task manager (attempt timeouts, abandon grace periods, retry backoffs,
 * slot-wait bounds) shares one scheduled action on the manager's scheduler, armed for the earliest
 * booked time. A manager with 100,000 running attempts has one timer, not 100,000, and a
 * TestScheduler drives all of it in virtual time.
 * @internal
 */
export class Timeline implements Clock<TimelineEntry> {
  readonly #heap = new Heap<TimelineEntry>(byTime);
  #seq = 0;
  #live = 0;
  // Cancelled entries still in the heap; compacted away when they outnumber the live ones, so
  // short attempts under a long timeout do not pile up dead entries for the whole timeout.
  #dead = 0;
  #armedAt = Infinity;
  #action: Subscription | undefined = undefined;
  // An open instant (see `begin`): how deep, and the clock as first read inside it.
  #depth = 0;
  #instant: number | undefined = undefined;

  constructor(
    readonly scheduler: SchedulerLike,
    /**
     * Brackets each firing (a task manager's transitions: what its targets do is one change, and
     * the user code it calls runs at `exit`). Default: the timeline's own instant.
     */
    readonly hooks: { enter(): void; exit(): void } = { enter: () => this.begin(), exit: () => this.end() },
  ) {}

  /**
   * The scheduler's time. Inside an instant it is read once: a task's outcome, the release of its
   * slot and the start of the next task all happen at one time (a clock read costs on some VMs,
   * and a dispatch cascade lasts microseconds).
   */
  now(): number {
    if (this.#depth === 0) return this.scheduler.now();
    return (this.#instant ??= this.scheduler.now());
  }

  /**
   * Opens an instant: bookkeeping that happens at one time. Until the matching `end`, `now()`
   * reads the clock once, and a timeline left empty keeps its timer armed: a serial pipeline
   * cancels one attempt's timeout and books the next one's in the same cascade, and dropping the
   * timer in between cost a real `setInterval` and `clearInterval` per task.
   */
  begin(): void {
    this.#depth++;
  }

  end(): void {
    if (--this.#depth > 0) return;
    this.#instant = undefined;
    if (this.#live === 0 && (this.#action !== undefined || this.#dead > 0)) this.clear();
  }

  /** Code that may take real time ran (a handler): the instant's clock reading is stale. */
  stale(): void {
    this.#instant = undefined;
  }

  /** Books `target.onTime` for `delayMs` from `now` (pass it when already read: the clock costs). */
  after(delayMs: number, target: TimelineTarget, kind = 0, now = this.now()): TimelineEntry {
    const entry: TimelineEntry = { at: now + delayMs, seq: this.#seq++, target, kind, cancelled: false };
    this.#heap.add(entry); // add, not push: heap-js's variadic push copies its arguments through an iterator
    this.#live++;
    if (entry.at < this.#armedAt) this.#arm(entry.at);
    return entry;
  }

  cancel(entry: TimelineEntry | undefined): void {
    if (entry === undefined || entry.cancelled) return;
    entry.cancelled = true;
    this.#dead++;
    // Nothing left to wait for: drop the timer so an idle process can exit (at the end of an
    // open instant, which may book again).
    if (--this.#live === 0 && this.#depth === 0) this.clear();
    else if (this.#dead > 64 && this.#dead > this.#live) this.#compact();
  }

  /** Booked times not yet due or cancelled. */
  get size(): number {
    return this.#live;
  }

  /** Entries held, cancelled ones included (they are dropped lazily): what the timeline costs in memory. */
  get held(): number {
    return this.#heap.size();
  }

  /** Cancels everything and drops the timer (so an idle process can exit); the timeline stays usable. */
  clear(): void {
    this.#heap.clear();
    this.#live = 0;
    this.#dead = 0;
    this.#disarm();
  }

  #compact(): void {
    this.#heap.heapArray = this.#heap.heapArray.filter((entry) => !entry.cancelled);
    this.#heap.init();
    this.#dead = 0;
  }

  #arm(at: number): void {
    this.#action?.unsubscribe();
    this.#armedAt = at;
    // Capped: a longer timer would fire at once. Firing early finds nothing due and arms again.
    this.#action = this.scheduler.schedule(() => this.#fire(), Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
  }

  #disarm(): void {
    this.#action?.unsubscribe();
    this.#action = undefined;
    this.#armedAt = Infinity;
  }

  #fire(): void {
    this.#action = undefined;
    this.#armedAt = Infinity;
    this.hooks.enter();
    try {
      this.#fireDue();
    } finally {
      this.hooks.exit();
    }
  }

  #fireDue(): void {
    const now = this.now();
    const heap = this.#heap;
    let head = heap.peek();
    while (head !== undefined && (head.cancelled || head.at <= now)) {
      heap.pop();
      if (head.cancelled) this.#dead--;
      else {
        head.cancelled = true;
        this.#live--;
        head.target.onTime(head);
      }
      head = heap.peek();
    }
    // Re-arm for what is left (targets may have booked new times meanwhile).
    const next = this.#nextLive();
    if (next !== undefined && next.at < this.#armedAt) this.#arm(next.at);
  }

  #nextLive(): TimelineEntry | undefined {
    let head = this.#heap.peek();
    while (head !== undefined && head.cancelled) {
      this.#heap.pop();
      this.#dead--;
      head = this.#heap.peek();
    }
    return head;
  }
}
