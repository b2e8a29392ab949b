import { Heap } from 'heap-js';
import { Deque } from '../internal/deque.js';
import { QueueLinks } from './queueLinks.js';
import type { BufferQueue } from './slotQueue.js';

/** An item that carries its own place in the queue. */
export interface Ranked {
  /** Lower lanes go first (the task manager's commands are lane 0, tasks lane 1). */
  readonly lane: number;
  /** Higher goes first within a lane. */
  readonly priority: number;
  /** Lower goes first within a priority: the submission order. */
  readonly seq: number;
}

/** Lane, then priority (higher first), then sequence. */
export const compareRanked = (a: Ranked, b: Ranked): number => a.lane - b.lane || b.priority - a.priority || a.seq - b.seq;

const bySeq = (a: Ranked, b: Ranked): number => a.seq - b.seq;

/** The items of one (lane, priority). */
class Level<T extends Ranked> {
  readonly items = new Deque<T>();
  tailSeq = -Infinity;
  /** Items that arrived with a sequence below the tail's (a retry re-entering): kept apart, by seq. */
  late: Heap<T> | undefined = undefined;
  inOrder = false;
  /** Items removed (cancelled) while still held here: dropped when they reach the front, or by `purge`. */
  removed = 0;

  constructor(
    readonly lane: number,
    readonly priority: number,
  ) {}

  get held(): number {
    return this.items.size + (this.late?.size() ?? 0);
  }

  get isEmpty(): boolean {
    return this.held === 0;
  }

  add(item: T): void {
    if (item.seq >= this.tailSeq) {
      this.items.push(item);
      this.tailSeq = item.seq;
    } else {
      (this.late ??= new Heap<T>(bySeq)).add(item);
    }
  }

  front(): T | undefined {
    const first = this.items.peek();
    const late = this.late?.peek();
    if (late === undefined) return first;
    return first === undefined || late.seq < first.seq ? late : first;
  }

  /** Takes out what `front()` returned. */
  shift(front: T): void {
    if (this.items.peek() === front) this.items.shift();
    else this.late?.pop();
  }

  /** Takes `item` out at once (not lazily): O(items of this level). */
  extract(item: T): boolean {
    const before = this.items.size;
    this.items.retain((other) => other !== item);
    if (this.items.size < before) return true;
    return this.late?.remove(item) ?? false;
  }

  /** Its oldest item not in `removed` (what is held is in seq order, but for the late heap's). */
  oldestLive(removed: Set<T>): T | undefined {
    let oldest: T | undefined;
    for (let i = 0; i < this.items.size; i++) {
      const item = this.items.at(i) as T;
      if (!removed.has(item)) {
        oldest = item;
        break;
      }
    }
    for (const item of this.late?.toArray() ?? []) if (!removed.has(item) && (oldest === undefined || item.seq < oldest.seq)) oldest = item;
    return oldest;
  }

  /** Drops the removed items it holds (a level whose front does not move would keep them all). */
  purge(removed: Set<T>): void {
    const keep = (item: T): boolean => !removed.delete(item);
    this.items.retain(keep);
    if (this.late !== undefined) {
      this.late.heapArray = this.late.heapArray.filter(keep);
      this.late.init();
    }
    this.removed = 0;
  }
}

const byLevel = <T extends Ranked>(a: Level<T>, b: Level<T>): number => a.lane - b.lane || b.priority - a.priority;

/**
 * The queue for items that carry their rank ({@link Ranked}): one FIFO per (lane, priority) and a
 * small heap of the non-empty levels. Pushing and pulling cost O(1) plus O(log levels) when a
 * level fills or empties, and the heap is never compared item by item: at 200,000 waiting tasks a
 * binary heap of tasks spent most of a dispatch in cache misses comparing records.
 * Removal is lazy and O(1), as in {@link PullQueue}.
 */
export class LevelQueue<T extends Ranked> extends QueueLinks<T> implements BufferQueue<T> {
  readonly #lanes = new Map<number, Map<number, Level<T>>>();
  readonly #order = new Heap<Level<T>>(byLevel);
  readonly #removed = new Set<T>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Items held, removed ones not yet dropped included: what the queue costs in memory. */
  get held(): number {
    let held = 0;
    for (const levels of this.#lanes.values()) for (const level of levels.values()) held += level.held;
    return held;
  }


  push(item: T): void {
    const level = this.#levelOf(item);
    level.add(item);
    if (!level.inOrder) {
      level.inOrder = true;
      this.#order.add(level);
    }
    this.#size++;
    // Behind a live item of its own level it cannot be the head: the top level (most often another,
    // cold in the cache when many queues share a broker) need not be looked up.
    this.arrived(item, this.#removed.size > 0 || level.front() === item);
  }

  peek(): T | undefined {
    return this.#top()?.front();
  }

  remove(item: T): void {
    const wasHead = this.isWatchedHead(item);
    this.#removed.add(item);
    const level = this.#lanes.get(item.lane)?.get(item.priority);
    // Cancelled items wait to reach the front; when they are most of their level, purge them.
    if (level !== undefined && ++level.removed > 64 && level.removed * 2 > level.held) level.purge(this.#removed);
    if (--this.#size === 0) {
      this.#reset();
      this.emptied();
    } else if (wasHead) {
      this.headLeft();
    }
  }

  /**
   * Moves a waiting item: takes it out, lets `change` give it a new rank (say a new priority and a
   * fresh sequence number, to go to the end of its new level), and puts it back. O(items of its
   * level); false (and `change` not called) when the item is not waiting here.
   */
  requeue(item: T, change: (item: T) => void): boolean {
    if (this.#removed.has(item)) return false;
    const level = this.#lanes.get(item.lane)?.get(item.priority);
    const wasHead = this.isWatchedHead(item);
    if (level === undefined || !level.extract(item)) return false;
    this.#size--;
    change(item);
    this.push(item);
    // It left the head for a place further back: the broker must hear of the new head.
    if (wasHead && this.peek() !== item) this.headLeft();
    return true;
  }

  /**
   * The oldest waiting item of the lowest priority in `lane`: what an overflow policy that drops the
   * oldest lowest-priority item takes. O(levels of the lane) plus the removed items it skips.
   */
  oldestLowest(lane: number): T | undefined {
    const levels = [...(this.#lanes.get(lane)?.values() ?? [])].sort((a, b) => a.priority - b.priority);
    for (const level of levels) {
      const item = level.oldestLive(this.#removed);
      if (item !== undefined) return item;
    }
    return undefined;
  }

  pull(): boolean {
    const sink = this.sink;
    if (sink === undefined || this.paused || this.#size === 0) return false;
    sink(this.#takeFront());
    return true;
  }

  /** The live items (removed ones skipped), level by level in no particular order: for scans such as p-queue's `filter`. */
  *items(): IterableIterator<T> {
    for (const levels of this.#lanes.values()) {
      for (const level of levels.values()) {
        for (const item of level.items) if (!this.#removed.has(item)) yield item;
        for (const item of level.late?.toArray() ?? []) if (!this.#removed.has(item)) yield item;
      }
    }
  }

  take(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#takeFront();
    if (this.#size === 0) this.emptied();
    else this.headLeft();
    return item;
  }



  #takeFront(): T {
    const level = this.#top() as Level<T>;
    const item = level.front() as T;
    level.shift(item);
    if (--this.#size === 0) this.#reset();
    else if (level.isEmpty) this.#retire(this.#order.pop() as Level<T>);
    return item;
  }

  /** The best level with a live item at its front; removed items and empty levels are dropped on the way. */
  #top(): Level<T> | undefined {
    for (;;) {
      const level = this.#order.peek();
      if (level === undefined) return undefined;
      const front = level.front();
      if (front === undefined) {
        this.#retire(this.#order.pop() as Level<T>);
      } else if (this.#removed.size > 0 && this.#removed.delete(front)) {
        level.shift(front);
        level.removed--;
      } else {
        return level;
      }
    }
  }

  #levelOf(item: T): Level<T> {
    let levels = this.#lanes.get(item.lane);
    if (levels === undefined) this.#lanes.set(item.lane, (levels = new Map()));
    let level = levels.get(item.priority);
    if (level === undefined) levels.set(item.priority, (level = new Level<T>(item.lane, item.priority)));
    return level;
  }

  /** An empty level leaves the order and the index, so many distinct priorities do not pile up. */
  #retire(level: Level<T>): void {
    level.inOrder = false;
    this.#lanes.get(level.lane)?.delete(level.priority);
  }

  /** Nothing live is left: forget removed items still buried in levels. */
  #reset(): void {
    this.#removed.clear();
    this.#lanes.clear();
    this.#order.clear();
  }
}
