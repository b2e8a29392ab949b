import type { SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { virtualPromise as publicVirtualPromise, virtualWork } from '../../src/testing/index.js';

/** Runs `body` in virtual time; `flush()` runs every scheduled action. */
export function inVirtualTime<T>(body: (scheduler: TestScheduler, flush: () => void) => T): T {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  return scheduler.run(({ flush }) => body(scheduler, flush));
}

/** An Observable handler's work: emits `value` after `ms` of virtual time. */
export const work = virtualWork;

/** A Promise-like handler result settled in virtual time (see smt-rx/testing). */
export function virtualPromise<T>(ms: number, value: T, scheduler: SchedulerLike, fail = false): PromiseLike<T> {
  return publicVirtualPromise(ms, value, scheduler, { reject: fail });
}
