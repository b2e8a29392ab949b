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
  /** Tells `onFilled` when an item arrives in an empty queue. */
  watch(onFilled: () => void): () => void;
}

/** A plain FIFO pull queue: the arrival order, for `serverSlots` fed straight by a push source. */
export class FifoQueue<T> implements SlotQueue<T> {
  #items: T[] = [];
  #head = 0;
  #sink: ((item: T) => void) | undefined = undefined;
  #onFilled: (() => void) | undefined = undefined;

  get size(): number {
    return this.#items.length - this.#head;
  }

  get connected(): boolean {
    return this.#sink !== undefined;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.size === 1) this.#onFilled?.();
  }

  peek(): T | undefined {
    return this.size > 0 ? this.#items[this.#head] : undefined;
  }

  pull(): boolean {
    const sink = this.#sink;
    if (sink === undefined || this.size === 0) return false;
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = undefined as T; // let it be collected
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    sink(item);
    return true;
  }

  connect(sink: (item: T) => void): void {
    this.#sink = sink;
  }

  watch(onFilled: () => void): () => void {
    this.#onFilled = onFilled;
    return () => {
      this.#onFilled = undefined;
    };
  }
}
