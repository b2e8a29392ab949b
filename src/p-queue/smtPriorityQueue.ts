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
 * priority.
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
  /** Queued entries by id, in the order they were added (p-queue ids are unique, but a caller's may repeat). */
  readonly #byId = new Map<string, Entry[]>();
  /** Entries added without an id: only `filter` needs to find them. */
  readonly #anonymous = new Set<Entry>();
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
    const entry = this.#queue.take();
    if (entry === undefined) return undefined;
    this.#forget(entry);
    return entry.run;
  }

  /** The waiting functions of exactly `options.priority`, in the order they will run (p-queue's `sizeBy`). */
  filter(options: Readonly<Partial<PQueueEnqueueOptions>>): RunFunction[] {
    const matching: Entry[] = [];
    for (const entries of this.#byId.values()) {
      for (const entry of entries) if (entry.priority === options.priority) matching.push(entry);
    }
    for (const entry of this.#anonymous) if (entry.priority === options.priority) matching.push(entry);
    return matching.sort(compareRanked).map((entry) => entry.run);
  }

  /**
   * Moves the waiting function `id` to `priority`, behind the functions already there.
   * @throws ReferenceError when no waiting function has that id (as p-queue's own queue does).
   */
  setPriority(id: string, priority: number): void {
    const entry = this.#first(id);
    if (entry === undefined) throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`);
    this.#drop(entry);
    this.#add(entry.run, priority, id);
  }

  /** Drops the waiting function `id` (p-queue calls it when a queued function's signal aborts); no-op when none. */
  remove(id: string): void {
    const entry = this.#first(id);
    if (entry !== undefined) this.#drop(entry);
  }

  #add(run: RunFunction, priority: number, id: string | undefined): void {
    const entry: Entry = { lane: LANE, priority, seq: this.#seq++, run, id };
    if (id === undefined) {
      this.#anonymous.add(entry);
    } else {
      const entries = this.#byId.get(id);
      if (entries === undefined) this.#byId.set(id, [entry]);
      else entries.push(entry);
    }
    this.#queue.push(entry);
  }

  /** Of the entries with this id, the one that runs first. */
  #first(id: string): Entry | undefined {
    const entries = this.#byId.get(id);
    if (entries === undefined) return undefined;
    return entries.reduce((best, entry) => (compareRanked(entry, best) < 0 ? entry : best));
  }

  #drop(entry: Entry): void {
    this.#queue.remove(entry);
    this.#forget(entry);
  }

  #forget(entry: Entry): void {
    if (entry.id === undefined) {
      this.#anonymous.delete(entry);
      return;
    }
    const entries = this.#byId.get(entry.id);
    if (entries === undefined) return;
    if (entries.length === 1) this.#byId.delete(entry.id);
    else entries.splice(entries.indexOf(entry), 1);
  }
}
