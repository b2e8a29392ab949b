/**
 * Runs state changes one at a time and the user code they call only between them.
 *
 * A change is bracketed by `begin()` / `end()` and never calls user code: it queues an effect
 * (`defer(kind, a, b)`) instead. When the outermost change ends, the effects run in the order they
 * were queued. User code an effect runs may start changes of its own (a `cancel` from an events$
 * subscriber): each is whole by the time it returns, and queues its effects behind the others, so
 * nothing ever sees or interrupts a half-changed state and the stack stays flat (the spirit of
 * rxjs's `queueScheduler` trampoline).
 *
 * Effects are kept as (kind, a, b, c) in one flat array: no closure per effect on the hot path.
 * @internal
 */
export class Trampoline {
  #depth = 0;
  #draining = false;
  // Written at #tail, read at #head; both go back to 0 when a drain ends. The array itself is
  // kept (never truncated): truncating freed its backing store, and every drain grew a new one.
  #items: unknown[] = [];
  #head = 0;
  #tail = 0;
  /** Effects queued so far, ever: an effect's sequence number is this count when it was queued. */
  #count = 0;

  constructor(
    /** Runs one effect. */
    readonly run: (kind: number, a: unknown, b: unknown, c: unknown) => void,
    /** An effect threw although effects guard the user code they call: a bug of ours, reported. */
    readonly onError: (error: unknown) => void,
  ) {}

  /** How many effects were ever queued: the sequence number the next one gets. */
  get deferred(): number {
    return this.#count;
  }

  /** The sequence number of the effect running now. */
  get current(): number {
    return this.#count - ((this.#tail - this.#head) >> 2) - 1;
  }

  /** True while a change is under way: user code must not run now. */
  get busy(): boolean {
    return this.#depth > 0;
  }

  begin(): void {
    this.#depth++;
  }

  /** Ends a change; the outermost end runs the queued effects. */
  end(): void {
    if (--this.#depth > 0 || this.#draining) return;
    this.#drain();
  }

  /** Queues user code to run once no change is under way. */
  defer(kind: number, a: unknown, b?: unknown, c?: unknown): void {
    const items = this.#items;
    const at = this.#tail;
    items[at] = kind;
    items[at + 1] = a;
    items[at + 2] = b;
    items[at + 3] = c;
    this.#tail = at + 4;
    this.#count++;
    if (this.#depth === 0 && !this.#draining) this.#drain();
  }

  #drain(): void {
    this.#draining = true;
    const items = this.#items;
    try {
      while (this.#head < this.#tail) {
        const at = this.#head;
        const kind = items[at] as number;
        const a = items[at + 1];
        const b = items[at + 2];
        const c = items[at + 3];
        items[at + 1] = undefined; // let what it held be collected
        items[at + 2] = undefined;
        items[at + 3] = undefined;
        this.#head = at + 4;
        try {
          this.run(kind, a, b, c);
        } catch (error) {
          this.onError(error);
        }
        // A long cascade keeps the array short: move what is left to the front now and then.
        if (this.#head > 4096 && this.#head * 2 > this.#tail) this.#compact();
      }
    } finally {
      this.#head = 0;
      this.#tail = 0;
      this.#draining = false;
      // After a huge cascade (a shutdown cancelling a million tasks), let the array go.
      if (items.length > 65_536) this.#items = [];
    }
  }

  #compact(): void {
    const items = this.#items;
    const live = this.#tail - this.#head;
    items.copyWithin(0, this.#head, this.#tail);
    items.fill(undefined, live, this.#tail);
    this.#head = 0;
    this.#tail = live;
  }
}
