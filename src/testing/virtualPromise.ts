import type { SchedulerLike } from 'rxjs';

export interface VirtualPromiseOptions {
  /** Reject with `value` instead of resolving. @default false */
  readonly reject?: boolean;
}

/**
 * A thenable settled by `scheduler` after `ms`, whose callbacks run synchronously: it stands for a
 * Promise-returning handler in virtual time (real Promises settle on the microtask queue, which a
 * TestScheduler does not drive). Like a handler that ignores its signal, it settles at its own time
 * whatever happens to the attempt.
 */
export function virtualPromise<T>(ms: number, value: T, scheduler: SchedulerLike, options: VirtualPromiseOptions = {}): PromiseLike<T> {
  type Callbacks = [((v: T) => unknown) | null | undefined, ((e: unknown) => unknown) | null | undefined];
  const waiting: Callbacks[] = [];
  let settled = false;
  const rejects = options.reject === true;
  const run = ([onValue, onError]: Callbacks): void => {
    if (rejects) onError?.(value);
    else onValue?.(value);
  };
  scheduler.schedule(() => {
    settled = true;
    for (const callbacks of waiting.splice(0)) run(callbacks);
  }, ms);
  const thenable: PromiseLike<T> = {
    then(onValue, onError) {
      if (settled) run([onValue as (v: T) => unknown, onError]);
      else waiting.push([onValue as (v: T) => unknown, onError]);
      // Chaining is not modelled: the manager only needs the two callbacks.
      return thenable as unknown as PromiseLike<never>;
    },
  };
  return thenable;
}
