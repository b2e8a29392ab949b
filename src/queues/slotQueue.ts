import { Deque } from '../internal/deque.js';
import { QueueLinks } from './queueLinks.js';

/**
 * What {@link serverSlots} needs from the queue it pulls from. {@link PullQueue} (priority order)
 * implements it, and so does the FIFO that `serverSlots` keeps when it is used on its own.
 */
export interface SlotQueue<T> {
  readonly size: number;
  /** True while a consumer is connected, so that `pull()` can deliver. */
  readonly connected: boolean;
  /** The item that would leave next. */
  peek(): T | undefined;
  /** Takes the head out and hands it to the connected consumer; false when empty or unconnected. */
  pull(): boolean;
  /**
   * Tells `onFilled` when an item arrives in an empty queue, and `onNewHead` when the head changes
   * other than by `pull()` (an item arrives ahead of it, or it is removed or taken): the slot
   * broker ranks queues by their heads.
   */
  watch(onFilled: () => void, onNewHead?: () => void): () => void;
}

/**
 * A queue that {@link priorityBuffer} fills and {@link serverSlots} pulls from. Two strategies
 * ship: {@link PullQueue} (any comparator, a binary heap) and {@link LevelQueue} (items that carry
 * their lane, priority and sequence: one FIFO per level, O(1) per item).
 */
export interface BufferQueue<T> extends SlotQueue<T> {
  push(item: T): void;
  /** Removes a waiting item without scanning; the caller must know it is in the queue. */
  remove(item: T): void;
  /** Takes the head out without delivering it. */
  take(): T | undefined;
  /**
   * Connects the consumer of pulled items; returns the disconnect function. `onEmptied` hears when
   * removing or taking items leaves the queue empty.
   */
  connect(sink: (item: T) => void, onEmptied?: () => void): () => void;
}

/** True for objects that look like a {@link BufferQueue} (checked at operator creation). */
export function isBufferQueue(value: unknown): value is BufferQueue<unknown> {
  if (value === null || typeof value !== 'object') return false;
  const q = value as Record<string, unknown>;
  return ['push', 'remove', 'take', 'connect', 'watch', 'peek', 'pull'].every((m) => typeof q[m] === 'function');
}

/** A plain FIFO pull queue: the arrival order, for `serverSlots` fed straight by a push source. */
export class FifoQueue<T> extends QueueLinks<T> implements SlotQueue<T> {
  readonly #items = new Deque<T>();

  get size(): number {
    return this.#items.size;
  }

  push(item: T): void {
    this.#items.push(item);
    this.arrived(item);
  }

  peek(): T | undefined {
    return this.#items.peek();
  }

  pull(): boolean {
    const sink = this.sink;
    if (sink === undefined || this.#items.size === 0) return false;
    sink(this.#items.shift() as T);
    return true;
  }
}
