/**
 * A FIFO: push at the back, shift from the front, both amortised O(1). The one array-with-a-head
 * structure of the code base (queues, the slot-wait watch, the trampoline): consumed slots are
 * cleared at once so what they held can be collected, the consumed prefix is dropped once it is
 * most of the array, and `retain` drops stale items in one pass, so memory follows what is live.
 * @internal
 */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The front item, undefined when empty. */
  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** The item `index` places from the front. */
  at(index: number): T | undefined {
    return this.#items[this.#head + index];
  }

  shift(): T | undefined {
    const items = this.#items;
    if (this.#head >= items.length) return undefined;
    const item = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Keeps the items `keep` accepts, in order; returns how many were dropped. */
  retain(keep: (item: T) => boolean): number {
    const kept: T[] = [];
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const item = items[i] as T;
      if (keep(item)) kept.push(item);
    }
    const dropped = this.size - kept.length;
    this.#items = kept;
    this.#head = 0;
    return dropped;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T;
  }
}
