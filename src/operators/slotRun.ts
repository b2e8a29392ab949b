import { from, isObservable, type ObservableInput, type Observer, type Subscribable, Subscription, type Unsubscribable } from 'rxjs';
import type { SlotLease } from '../slots/slotBroker.js';

/** What a running item reports to its pipeline. */
export interface RunHost<R> {
  next(value: R): void;
  /** The work errored: the output errors, and its teardown stops the other runs. */
  fail(error: unknown): void;
  /** The run is over and its work torn down: forget it, give its slot back, complete if idle. */
  finished(run: SlotRun<R>): void;
}

/**
 * One item running on one slot: the observer of its work and the owner of its slot, which it gives
 * back exactly once, whichever way the work ends, and only after the work's teardown has run (as
 * `mergeMap` starts its next inner only once the finished one is unsubscribed). One object per
 * item instead of a handful of closures: this is on the path of every task.
 * @internal
 */
export class SlotRun<R> extends Subscription implements Observer<R> {
  /** The work ended or was stopped: nothing more from it counts. */
  done = false;
  /**
   * Inside an Observable's `subscribe`: its teardown is only added to the run when that returns,
   * so a run that ends meanwhile gives its slot back in `started`, after that teardown.
   */
  #starting = true;
  /** The handle a bare Subscribable returned (an Observable's teardown is added to the run itself). */
  #inner: Unsubscribable | undefined = undefined;
  // Links in the pipeline's list of running items (see RunList).
  older: SlotRun<R> | undefined = undefined;
  newer: SlotRun<R> | undefined = undefined;

  constructor(
    readonly host: RunHost<R>,
    readonly lease: SlotLease,
  ) {
    super();
  }

  /**
   * Subscribes the run to its work. An Observable (or anything `from` takes) gets the run as its
   * subscriber, and its teardown is added to the run when `subscribe` returns. A bare Subscribable
   * returns its own handle instead, kept in a field rather than with `add` (which would allocate a
   * finalizer array for every item); since the handle is all there is to tear down, a bare
   * Subscribable that ends inside `subscribe` gives its slot back at once (the task manager's
   * attempts settle so, and count on the slot being free when they go on).
   */
  subscribeTo(input: ObservableInput<R> | Subscribable<R>): void {
    if (this.closed) return;
    if (!isObservable(input) && isBareSubscribable(input)) {
      this.#starting = false;
      const handle = input.subscribe(this);
      if (this.closed) handle.unsubscribe();
      else this.#inner = handle;
      return;
    }
    from(input).subscribe(this);
  }

  /** The work's `subscribe` returned (or threw): a run that ended meanwhile gives its slot back now. */
  started(): void {
    if (!this.#starting) return;
    this.#starting = false;
    if (this.done) this.host.finished(this);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    const inner = this.#inner;
    this.#inner = undefined;
    super.unsubscribe();
    inner?.unsubscribe();
  }

  next(value: R): void {
    if (!this.done) this.host.next(value);
  }

  error(error: unknown): void {
    if (this.done) return;
    this.done = true;
    // The output hears the error first, as in mergeMap; its teardown leaves the broker, so the
    // slot given back below cannot start this pipeline's next waiting item.
    this.host.fail(error);
    this.#end();
  }

  complete(): void {
    if (this.done) return;
    this.done = true;
    this.#end();
  }

  /** The pipeline is torn down: stop the work and give the slot back. */
  cancel(): void {
    this.complete();
  }

  #end(): void {
    // Teardown first: the next item on this slot never overlaps what is left of this one.
    this.unsubscribe();
    if (!this.#starting) this.host.finished(this);
  }
}

/**
 * The items a pipeline is running, linked through the runs themselves: adding and removing one
 * costs two pointer writes, where a Set hashed every run twice.
 * @internal
 */
export class RunList<R> {
  #newest: SlotRun<R> | undefined = undefined;
  size = 0;

  add(run: SlotRun<R>): void {
    run.older = this.#newest;
    if (this.#newest !== undefined) this.#newest.newer = run;
    this.#newest = run;
    this.size++;
  }

  delete(run: SlotRun<R>): void {
    const { older, newer } = run;
    if (older === undefined && newer === undefined && this.#newest !== run) return; // not listed
    if (older !== undefined) older.newer = newer;
    if (newer !== undefined) newer.older = older;
    else this.#newest = older;
    run.older = undefined;
    run.newer = undefined;
    this.size--;
  }

  /**
   * Cancels every run, oldest first as mergeMap does (teardown: rare, so a snapshot keeps the walk
   * simple whatever a cancel does).
   */
  cancelAll(): void {
    const runs: SlotRun<R>[] = [];
    for (let run = this.#newest; run !== undefined; run = run.older) runs.push(run);
    for (let i = runs.length - 1; i >= 0; i--) (runs[i] as SlotRun<R>).cancel();
  }
}

/** An object with `subscribe` that is not an Observable (nor a Promise or an iterable). */
function isBareSubscribable<R>(input: ObservableInput<R> | Subscribable<R>): input is Subscribable<R> {
  return typeof input === 'object' && input !== null && typeof (input as Subscribable<R>).subscribe === 'function';
}
