/**
 * Records by sequence number, for sequence numbers handed out in increasing order: a sliding
 * array from the oldest live one to the newest. Adding and removing are array writes (a `Map` of
 * 200,000 numeric keys spent a tenth of a dispatch in hashing and rehashing). When the window is
 * mostly holes (a long-lived entry pins its start), the live entries move to a `Map` and the
 * window starts afresh, so memory stays proportional to what is live.
 * @internal
 */
export class SeqWindow<V> {
  #slots: (V | undefined)[] = [];
  #head = 0;
  /** The sequence number of `#slots[0]`. */
  #base = 0;
  #liveInWindow = 0;
  readonly #overflow = new Map<number, V>();

  get size(): number {
    return this.#liveInWindow + this.#overflow.size;
  }

  /** `seq` must be higher than every sequence number added before. */
  add(seq: number, value: V): void {
    if (this.#liveInWindow === 0) {
      this.#slots = [];
      this.#head = 0;
      this.#base = seq;
    }
    const index = seq - this.#base;
    while (this.#slots.length < index) this.#slots.push(undefined);
    this.#slots.push(value);
    this.#liveInWindow++;
  }

  get(seq: number): V | undefined {
    const index = seq - this.#base;
    if (index >= this.#head && index < this.#slots.length) return this.#slots[index];
    return this.#overflow.get(seq);
  }

  delete(seq: number): void {
    const index = seq - this.#base;
    if (index >= this.#head && index < this.#slots.length && this.#slots[index] !== undefined) {
      this.#slots[index] = undefined;
      this.#liveInWindow--;
      this.#advance();
      return;
    }
    this.#overflow.delete(seq);
  }

  *values(): IterableIterator<V> {
    yield* this.#overflow.values();
    for (let i = this.#head; i < this.#slots.length; i++) {
      const value = this.#slots[i];
      if (value !== undefined) yield value;
    }
  }

  #advance(): void {
    const slots = this.#slots;
    while (this.#head < slots.length && slots[this.#head] === undefined) this.#head++;
    const span = slots.length - this.#head;
    if (this.#head > 1024 && this.#head * 2 > slots.length) {
      this.#slots = slots.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    } else if (span > 4096 && span > 8 * this.#liveInWindow) {
      this.#spill();
    }
  }

  /** Moves the few live entries of a sparse window to the overflow map. */
  #spill(): void {
    for (let i = this.#head; i < this.#slots.length; i++) {
      const value = this.#slots[i];
      if (value !== undefined) this.#overflow.set(this.#base + i, value);
    }
    this.#slots = [];
    this.#head = 0;
    this.#liveInWindow = 0;
  }
}
