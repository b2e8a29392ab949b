import type { AttemptContext } from '../types.js';

/** Where a context gets its signal from (the attempt, which creates it on first read). */
export interface SignalSource {
  readonly signal: AbortSignal;
  progress(value: unknown): void;
}

/**
 * What a handler is given as `ctx`: the documented fields and nothing else, so that whatever a
 * handler does to it (reads, writes, `JSON.stringify`) changes nothing inside the manager.
 * @internal
 */
export class AttemptContextImpl implements AttemptContext {
  readonly #source: SignalSource;

  constructor(
    readonly taskId: string,
    readonly provider: string,
    readonly server: string,
    readonly attempt: number,
    source: SignalSource,
  ) {
    this.#source = source;
  }

  /** Created on first read: most handlers never look at it, and an AbortController costs microseconds. */
  get signal(): AbortSignal {
    return this.#source.signal;
  }

  /** On the prototype: no closure per attempt, and `JSON.stringify(ctx)` stays the fields. */
  progress(value: unknown): void {
    this.#source.progress(value);
  }
}
