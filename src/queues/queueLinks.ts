/**
 * What every pull queue has besides its items: the consumer that pulled items go to (the buffer
 * operator's subscriber) and the watcher told about arrivals (the slot broker).
 * (A base class of the public queues; its members are documented there.)
 */
export abstract class QueueLinks<T> {
  protected sink: ((item: T) => void) | undefined = undefined;
  #onEmptied: (() => void) | undefined = undefined;
  #onFilled: (() => void) | undefined = undefined;
  #onNewHead: (() => void) | undefined = undefined;
  #paused = false;

  abstract readonly size: number;
  abstract peek(): T | undefined;

  /** True while a consumer is connected and the queue is not paused, so that `pull()` can deliver. */
  get connected(): boolean {
    return this.sink !== undefined && !this.#paused;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Holds every item: `pull()` delivers nothing, so a slot broker sees nothing waiting here and
   * gives freed slots to other queues (and frees a budget held for its head). Items still arrive and can be removed or taken.
   */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    // Its head stops competing: a budget the broker held for it is freed.
    if (this.size > 0) this.#onNewHead?.();
  }

  /** Delivers again; the broker hears of the waiting items as if they had just arrived. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.size > 0) this.#onFilled?.();
  }

  /**
   * Connects the consumer of pulled items; returns the disconnect function. `onEmptied` hears when
   * removing or taking items leaves the queue empty (a consumer that completes once its source is
   * done and the queue drained would otherwise never learn it: no pull comes).
   */
  connect(sink: (item: T) => void, onEmptied?: () => void): () => void {
    this.sink = sink;
    this.#onEmptied = onEmptied;
    return () => {
      if (this.sink !== sink) return;
      this.sink = undefined;
      this.#onEmptied = undefined;
    };
  }

  /**
   * Tells `onFilled` when an item arrives in an empty queue, and `onNewHead` when the head changes
   * other than by `pull()`: an arriving item goes ahead of it, or it is removed or taken (the slot
   * broker ranks queues by their heads, and is the one that pulls).
   */
  watch(onFilled: () => void, onNewHead?: () => void): () => void {
    this.#onFilled = onFilled;
    this.#onNewHead = onNewHead;
    return () => {
      if (this.#onFilled !== onFilled) return;
      this.#onFilled = undefined;
      this.#onNewHead = undefined;
    };
  }

  /** Subclasses call this after adding `item`; `mayBeHead` false when they know it is not the head. */
  protected arrived(item: T, mayBeHead = true): void {
    if (this.size === 1) this.#onFilled?.();
    else if (mayBeHead && this.#onNewHead !== undefined && this.peek() === item) this.#onNewHead();
  }

  /** True when `item` is the head and someone watches heads: call before removing it, then `headLeft()`. */
  protected isWatchedHead(item: T): boolean {
    return this.#onNewHead !== undefined && this.size > 0 && this.peek() === item;
  }

  /** Subclasses call this after the head left other than by `pull()` (see `isWatchedHead`). */
  protected headLeft(): void {
    if (this.size > 0) this.#onNewHead?.();
  }

  /**
   * Subclasses call this when a removal or a take left the queue empty. The head left too: the
   * watcher hears it (a budget the broker held for that head is freed).
   */
  protected emptied(): void {
    this.#onNewHead?.();
    this.#onEmptied?.();
  }
}
