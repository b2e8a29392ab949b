import { Heap } from 'heap-js';
import { QueueLinks } from './queueLinks.js';
import type { BufferQueue } from './slotQueue.js';

/** Orders items: negative when `a` should leave the queue before `b`. */
export type Comparator<T> = (a: T, b: T) => number;

/**
 * A priority queue that the consumer drains by pulling: the shared state between
 * {@link priorityBuffer} (which fills it) and {@link serverSlots} (which pulls one item each time a
 * server slot is free). Items leave in `compare` order; removal is lazy, O(1), so cancelling a
 * waiting item never scans the heap.
 */
export class PullQueue<T> extends QueueLinks<T> implements BufferQueue<T> {
  readonly #heap: Heap<T>;
  // Items removed while still in the heap; skipped when they surface.
  readonly #removed = new Set<T>();
  #size = 0;

  constructor(readonly compare: Comparator<T>) {
    super();
    this.#heap = new Heap<T>(compare);
  }

  /** Items waiting (removed ones excluded). */
  get size(): number {
    return this.#size;
  }

  /** Items held, removed ones not yet dropped included: what the queue costs in memory. */
  get held(): number {
    return this.#heap.size();
  }


  /** Adds an item; tells the watcher when the queue was empty before. */
  push(item: T): void {
    this.#heap.add(item); // add, not push: heap-js's variadic push copies its arguments through an iterator
    this.#size++;
    this.arrived(item);
  }

  /** The item that would leave next, without removing it. */
  peek(): T | undefined {
    this.#dropRemovedHead();
    return this.#heap.peek();
  }

  /**
   * Removes a waiting item without scanning. The caller must know the item is in the queue (the
   * task manager does: the task's state says so).
   */
  remove(item: T): void {
    const wasHead = this.isWatchedHead(item);
    this.#removed.add(item);
    this.#size--;
    // Removed items wait to surface; when they are most of the heap, drop them in one pass.
    if (this.#removed.size > 64 && this.#removed.size > this.#size) this.#purge();
    if (this.#size === 0) this.emptied();
    else if (wasHead) this.headLeft();
  }

  #purge(): void {
    const removed = this.#removed;
    this.#heap.heapArray = this.#heap.heapArray.filter((item) => !removed.delete(item));
    this.#heap.init();
    removed.clear();
  }

  /** Takes the head out and hands it to the connected consumer. False when empty or unconnected. */
  pull(): boolean {
    const sink = this.sink;
    if (sink === undefined || this.paused || this.#size === 0) return false;
    this.#dropRemovedHead();
    const item = this.#heap.pop() as T;
    this.#size--;
    sink(item);
    return true;
  }

  /** Takes the head out without delivering it (used when tearing down). */
  take(): T | undefined {
    if (this.#size === 0) return undefined;
    this.#dropRemovedHead();
    this.#size--;
    const item = this.#heap.pop();
    if (this.#size === 0) this.emptied();
    else this.headLeft();
    return item;
  }



  #dropRemovedHead(): void {
    const removed = this.#removed;
    if (removed.size === 0) return;
    let head = this.#heap.peek();
    while (head !== undefined && removed.has(head)) {
      removed.delete(head);
      this.#heap.pop();
      head = this.#heap.peek();
    }
    // Nothing live is left: forget the removed ones that are still buried in the heap.
    if (this.#size === 0) {
      removed.clear();
      this.#heap.clear();
    }
  }
}
