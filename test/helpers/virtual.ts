import { Observable, type SchedulerLike, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';

/** Runs `body` in virtual time; `flush()` runs every scheduled action. */
export function inVirtualTime<T>(body: (scheduler: TestScheduler, flush: () => void) => T): T {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  return scheduler.run(({ flush }) => body(scheduler, flush));
}

/** An Observable handler's work: emits `value` after `ms` of virtual time. */
export function work<T>(ms: number, value: T, scheduler: SchedulerLike): Observable<T> {
  return new Observable<T>((subscriber) => timer(ms, scheduler).subscribe(() => {
    subscriber.next(value);
    subscriber.complete();
  }));
}

/**
 * A thenable settled by the scheduler, whose callbacks run synchronously: it stands for a Promise
 * handler in virtual time (real Promises settle on the microtask queue, outside virtual time).
 * `ignoresSignal` models a handler that keeps running after its signal is aborted.
 */
export function virtualPromise<T>(ms: number, value: T, scheduler: SchedulerLike, fail = false): PromiseLike<T> {
  const callbacks: Array<[((v: T) => unknown) | null | undefined, ((e: unknown) => unknown) | null | undefined]> = [];
  let settled: { ok: boolean; value: unknown } | undefined;
  scheduler.schedule(() => {
    settled = { ok: !fail, value };
    for (const [ok, err] of callbacks) {
      if (settled.ok) ok?.(value);
      else err?.(value);
    }
  }, ms);
  return {
    then(onOk, onErr) {
      if (settled) {
        if (settled.ok) onOk?.(value);
        else onErr?.(value);
      } else {
        callbacks.push([onOk as (v: T) => unknown, onErr]);
      }
      return this as unknown as PromiseLike<never>;
    },
  };
}
