import { NEVER, throwError, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createTaskManager, TaskTimeoutError, type TaskEvent } from '../../src/index.js';
import { MAX_TIMER_MS } from '../../src/internal/longDelay.js';
import { attemptTimeout, retryWithBackoff } from '../../src/operators/index.js';
import { inVirtualTime } from '../helpers/virtual.js';

// README, "Time": a delay past 2³¹ − 1 ms (about 24.8 days) waits its whole length, in steps no
// timer refuses. A real timer given more fires after 1 ms with a TimeoutOverflowWarning; in
// virtual time that shows as a requested delay above MAX_TIMER_MS, which these tests forbid.

const DAY = 86_400_000;

/** The scheduler, recording every delay asked of it. */
function recording(scheduler: TestScheduler): { scheduler: SchedulerLike; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    scheduler: {
      now: () => scheduler.now(),
      schedule: (work: never, delay?: number, state?: never) => {
        delays.push(delay ?? 0);
        return scheduler.schedule(work, delay, state);
      },
    } as SchedulerLike,
  };
}

describe('delays past 2^31 - 1 ms', () => {
  it('attemptTimeout(30 days) fails after 30 days, asking no timer for more than 2^31 - 1 ms', () => {
    const test = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    test.run(({ expectObservable }) => {
      const clock = recording(test);
      const timedOut = NEVER.pipe(attemptTimeout({ timeoutMs: 30 * DAY, graceMs: 0, scheduler: clock.scheduler }));
      expectObservable(timedOut).toBe(`${30 * DAY}ms #`, undefined, new TaskTimeoutError('', '', 30 * DAY));
      test.flush();
      expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    });
  });

  it('attemptTimeout with a 40-day grace period waits 40 days after the deadline', () => {
    const test = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    test.run(({ expectObservable }) => {
      const clock = recording(test);
      const late = NEVER.pipe(attemptTimeout({ timeoutMs: 1 * DAY, graceMs: 40 * DAY, scheduler: clock.scheduler }));
      expectObservable(late).toBe(`${41 * DAY}ms #`, undefined, new TaskTimeoutError('', '', 1 * DAY));
      test.flush();
      expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    });
  });

  it('retryWithBackoff with a 30-day backoff resubscribes after 30 days (and fails again then)', () => {
    const test = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    test.run(({ expectObservable }) => {
      const clock = recording(test);
      const retried = throwError(() => new Error('x')).pipe(
        retryWithBackoff({ maxRetries: 1, backoff: { initialDelayMs: 30 * DAY, maxDelayMs: 30 * DAY, jitter: 'none' }, scheduler: clock.scheduler }),
      );
      expectObservable(retried).toBe(`${30 * DAY}ms #`, undefined, new Error('x'));
      test.flush();
      expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    });
  });

  it('the manager waits a 30-day timeout, grace period and backoff, and a 40-day slot wait, their whole length', () => {
    inVirtualTime((test, flush) => {
      const clock = recording(test);
      const m = createTaskManager({
        scheduler: clock.scheduler,
        timeout: 30 * DAY,
        abandonAfterMs: 30 * DAY,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 30 * DAY, maxDelayMs: 30 * DAY, jitter: 'none' } },
        slotWait: { maxWaitMs: 40 * DAY },
        providers: [
          { name: 'p', servers: ['s'], handle: () => new Promise<never>(() => undefined) },
          { name: 'empty', servers: [], handle: () => 1 },
        ],
      });
      const seen: string[] = [];
      m.events$.subscribe((e: TaskEvent) => seen.push(`${e.type}@${e.at / DAY}`));
      m.submit({ provider: 'p', payload: 1 });
      m.submit({ provider: 'empty', payload: 1 });
      flush();
      expect(seen).toEqual([
        'queued@0', 'started@0', 'queued@0', 'waiting-for-slot@0',
        'retrying@30', // the timeout; the backoff starts
        'failed@40', // the slot wait of the task with no server
        'abandoned@60', // the grace period of the attempt that ignores its signal
        'started@60', // the backoff has ended and the slot is free
        'failed@90', // the retry's timeout
        'abandoned@120', // and its grace period
      ]);
      expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
      expect(clock.delays.length).toBeLessThan(40);
    });
  });
});
