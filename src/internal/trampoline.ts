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
  #items: unknown[] = [];
  #head = 0;

  constructor(
    /** Runs one effect. */
    readonly run: (kind: number, a: unknown, b: unknown, c: unknown) => void,
    /** An effect threw although effects guard the user code they call: a bug of ours, reported. */
    readonly onError: (error: unknown) => void,
  ) {}

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
    this.#items.push(kind, a, b, c);
    if (this.#depth === 0 && !this.#draining) this.#drain();
  }

  #drain(): void {
    this.#draining = true;
    const items = this.#items;
    try {
      while (this.#head < items.length) {
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
        // A long cascade keeps the array short: drop the consumed prefix now and then.
        if (this.#head > 4096 && this.#head * 2 > items.length) {
          items.splice(0, this.#head);
          this.#head = 0;
        }
      }
    } finally {
      items.length = 0;
      this.#head = 0;
      this.#draining = false;
    }
  }
}
