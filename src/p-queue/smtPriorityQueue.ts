import { LevelQueue, compareRanked, type Ranked } from '../queues/levelQueue.js';

/** What p-queue queues: the wrapper it builds around each function given to `add`. */
export type RunFunction = () => Promise<unknown>;

/** The options p-queue passes to `enqueue` (and `filter`): the rest of `add`'s options are ignored. */
export interface PQueueEnqueueOptions {
  /** Higher runs sooner; any finite number. @default 0 */
  readonly priority: number;
  /** What `setPriority` and `remove` find the function by (p-queue gives every added function one). */
  readonly id: string;
}

interface Entry extends Ranked {
  readonly run: RunFunction;
  readonly id: string | undefined;
}

/** p-queue's own queue has no lanes: every entry is in lane 0. */
const LANE = 0;

/**
 * A `queueClass` for p-queue (9 and up) that keeps its functions in smt-rx's priority queue: one
 * FIFO per priority and a small heap of the priorities in use, so `add` costs O(1) (plus
 * O(log priorities) when a priority gets its first function) however many functions wait, where
 * p-queue's own queue inserts into a sorted array. Same order as p-queue's: higher priority first,
 * first added first among equals; `setPriority` moves a function behind those already at its new
 * priority. `setPriority`, `remove` and `filter` scan the waiting functions, as p-queue's own
 * queue does: they are the rare calls, and an index by id would cost every `add`.
 *
 * @example
 * import PQueue from 'p-queue';
 * import { SmtPriorityQueue } from 'smt-rx/p-queue';
 *
 * const queue = new PQueue({ concurrency: 4, queueClass: SmtPriorityQueue });
 * await queue.add(() => fetch('https://example.com/'), { priority: 5 });
 * @since 0.2.0
 */
export class SmtPriorityQueue {
  readonly #queue = new LevelQueue<Entry>();
  #seq = 0;

  /** How many functions wait. */
  get size(): number {
    return this.#queue.size;
  }

  enqueue(run: RunFunction, options?: Readonly<Partial<PQueueEnqueueOptions>>): void {
    this.#add(run, options?.priority ?? 0, options?.id);
  }

  /** Takes out the function to run next: the highest priority's oldest. */
  dequeue(): RunFunction | undefined {
    return this.#queue.take()?.run;
  }

  /** The waiting functions of exactly `options.priority`, in the order they will run (p-queue's `sizeBy`). */
  filter(options: Readonly<Partial<PQueueEnqueueOptions>>): RunFunction[] {
    const matching: Entry[] = [];
    for (const entry of this.#queue.items()) if (entry.priority === options.priority) matching.push(entry);
    return matching.sort(compareRanked).map((entry) => entry.run);
  }

  /**
   * Moves the waiting function `id` to `priority`, behind the functions already there.
   * @throws ReferenceError when no waiting function has that id (as p-queue's own queue does).
   */
  setPriority(id: string, priority: number): void {
    const entry = this.#first(id);
    if (entry === undefined) throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`);
    this.#queue.remove(entry);
    this.#add(entry.run, priority, id);
  }

  /** Drops the waiting function `id` (p-queue calls it when a queued function's signal aborts); no-op when none. */
  remove(id: string): void {
    const entry = this.#first(id);
    if (entry !== undefined) this.#queue.remove(entry);
  }

  #add(run: RunFunction, priority: number, id: string | undefined): void {
    this.#queue.push({ lane: LANE, priority, seq: this.#seq++, run, id });
  }

  /** Of the waiting entries with this id (p-queue's ids are unique, a caller's may repeat), the one that runs first. */
  #first(id: string): Entry | undefined {
    let first: Entry | undefined;
    for (const entry of this.#queue.items()) {
      if (entry.id === id && (first === undefined || compareRanked(entry, first) < 0)) first = entry;
    }
    return first;
  }
}
