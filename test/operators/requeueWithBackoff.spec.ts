import { config as rxjsConfig, defer, map, merge, type Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/NonRetryableError.js';
import type { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { prioritySlots } from '../../src/operators/prioritySlots.js';
import {
  type AttemptResult,
  type RequeueInfo,
  requeueWithBackoff,
  type RequeueWithBackoffConfig,
} from '../../src/operators/requeueWithBackoff.js';
import { LevelQueue, type Ranked } from '../../src/queues/levelQueue.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';

interface Job {
  readonly id: string;
}

type Result = AttemptResult<Job, string>;
type Failure = Extract<Result, { ok: false }>;

const a: Job = { id: 'a' };
const b: Job = { id: 'b' };
const ok = (item: Job): Result => ({ item, ok: true, value: `${item.id} done` });
const fail = (item: Job, error: unknown = new Error(`${item.id} failed`)): Failure => ({ item, ok: false, error });

/** 2, then 4, then 8 frames: waits readable in marbles. */
const backoff = { initialDelayMs: 2, multiplier: 2, jitter: 'none' } as const;

describe('requeueWithBackoff', () => {
  let testScheduler: TestScheduler;
  let requeued: string[];

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    requeued = [];
  });

  /** The operator with marble-friendly defaults; `requeue` records `id@frame`. */
  function requeue(config: Partial<RequeueWithBackoffConfig<Job>> = {}) {
    return requeueWithBackoff<Job, string>({
      maxRetries: 2,
      backoff,
      scheduler: testScheduler,
      requeue: (job) => requeued.push(`${job.id}@${testScheduler.now()}`),
      ...config,
    });
  }

  describe('the rxjs operator checklist', () => {
    it('should neither emit nor end with a never source', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold<Result>('-').pipe(requeue())).toBe('-');
      });
    });

    it('should complete with an empty source', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold<Result>('|').pipe(requeue())).toBe('|');
      });
    });

    it('should pass successes through at once', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const values = { x: ok(a), y: ok(b) };
        expectObservable(cold('-x-y-|', values).pipe(requeue())).toBe('-x-y-|', values);
      });
      expect(requeued).toEqual([]);
    });

    it('should pass an error of the source through and cancel the waiting retries', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('-f#', { f: fail(a) }).pipe(requeue())).toBe('--#');
      });
      expect(requeued).toEqual([]);
    });

    it('should cancel the waits, and never requeue, when unsubscribed during a backoff', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-f---', { f: fail(a) });
        expectObservable(source.pipe(requeue()), '--!').toBe('--');
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
      expect(requeued).toEqual([]);
    });

    it('should error with what requeue throws, when it is called', () => {
      const bug = new Error('queue closed');
      testScheduler.run(({ cold, expectObservable }) => {
        const result = cold('-f---', { f: fail(a) }).pipe(
          requeue({
            requeue: () => {
              throw bug;
            },
          }),
        );
        expectObservable(result).toBe('---#', undefined, bug);
      });
    });
  });

  describe('retries through the queue', () => {
    it('should requeue each failure after its backoff (2, then 4 frames), then emit the last one', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // Attempt 1 fails at 1 (back at 3), attempt 2 at 5 (back at 9), attempt 3 at 12: final.
        const f = fail(a);
        expectObservable(cold('-f---f------f', { f }).pipe(requeue())).toBe('------------f', { f });
      });
      expect(requeued).toEqual(['a@3', 'a@9']);
    });

    it('should count each item apart, by identity', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const values = { f: fail(a), g: fail(b), y: ok(b) };
        expectObservable(cold('-fg--f-y--f', values).pipe(requeue())).toBe('-------y--f', values);
      });
      expect(requeued).toEqual(['a@3', 'b@4', 'a@9']);
    });

    it('should start the count and the backoff again for an item after its final result', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const values = { f: fail(a), x: ok(a) };
        expectObservable(cold('-f--x-f', values).pipe(requeue())).toBe('----x--', values);
      });
      expect(requeued).toEqual(['a@3', 'a@8']);
    });

    it('should complete once the source has completed and the last waiting item was handed back', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('-f|', { f: fail(a) }).pipe(requeue())).toBe('---|');
      });
      expect(requeued).toEqual(['a@3']);
    });

    it('should wait the jittered delays of the random source it is given', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const full = { initialDelayMs: 10, multiplier: 2, jitter: 'full' } as const;
        expectObservable(cold('-f-f', { f: fail(a) }).pipe(requeue({ backoff: full, random: () => 0.5 }))).toBe('----');
      });
      // Half of 10, then half of 20.
      expect(requeued).toEqual(['a@6', 'a@13']);
    });

    it('should use asyncScheduler, virtualised by run(), when no scheduler is given', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('-f', { f: fail(a) }).pipe(requeue({ scheduler: undefined }))).toBe('--');
      });
      expect(requeued).toEqual(['a@3']);
    });
  });

  describe('stopping early', () => {
    it('should emit a NonRetryableError failure at once, with its cause as the error', () => {
      const cause = new Error('bad request');
      testScheduler.run(({ cold, expectObservable }) => {
        const f = fail(a, new NonRetryableError(cause));
        expectObservable(cold('-f', { f }).pipe(requeue())).toBe('-c', { c: fail(a, cause) });
      });
      expect(requeued).toEqual([]);
    });

    it('should emit at once a failure that isRetryable rejects, or throws on', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const values = { f: fail(a), g: fail(b) };
        const isRetryable = (error: unknown): boolean => {
          if (error === values.g.error) throw new Error('bug in isRetryable');
          return false;
        };
        expectObservable(cold('-fg', values).pipe(requeue({ isRetryable }))).toBe('-fg', values);
      });
      expect(requeued).toEqual([]);
    });

    it('should emit the first failure with maxRetries 0', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const values = { f: fail(a) };
        expectObservable(cold('-f', values).pipe(requeue({ maxRetries: 0 }))).toBe('-f', values);
      });
    });
  });

  describe('onRetry', () => {
    afterEach(() => {
      rxjsConfig.onUnhandledError = null;
    });

    it('should be told each retry before its wait, and not change it when it throws', () => {
      const told: Array<RequeueInfo<Job> & { at: number }> = [];
      const reported: unknown[] = [];
      rxjsConfig.onUnhandledError = (e) => reported.push(e);
      const f = fail(a);
      testScheduler.run(({ cold, expectObservable }) => {
        const onRetry = (info: RequeueInfo<Job>): void => {
          told.push({ ...info, at: testScheduler.now() });
          throw new Error('logger down');
        };
        expectObservable(cold('-f---f', { f }).pipe(requeue({ onRetry }))).toBe('------');
      });
      expect(told).toEqual([
        { item: a, retry: 1, error: f.error, delayMs: 2, at: 1 },
        { item: a, retry: 2, error: f.error, delayMs: 4, at: 5 },
      ]);
      expect(requeued).toEqual(['a@3', 'a@9']);
      expect(reported).toHaveLength(2);
    });
  });

  describe('after prioritySlots', () => {
    interface RankedJob extends Ranked, Job {
      attempts: number;
    }

    it('should give the slot back during the backoff, then queue the item again at its priority', () => {
      const starts: string[] = [];
      const outcomes: string[] = [];
      const inUseDuringBackoff: number[] = [];
      testScheduler.run(({ hot, cold }) => {
        const coordinator = localSlotCoordinator({ limits: { s: 1 } });
        const job = (id: string, priority: number, seq: number): RankedJob => ({ id, lane: 1, priority, seq, attempts: 0 });
        const jobs = { f: job('f', 5, 0), x: job('x', 0, 1), y: job('y', 0, 2), z: job('z', 0, 3) };
        const retries$ = new Subject<RankedJob>();
        // Each attempt takes 2 frames; f's first one fails.
        const attempt = (item: RankedJob): Observable<AttemptResult<RankedJob, string>> =>
          defer(() => {
            item.attempts++;
            starts.push(`${item.id}@${testScheduler.now()}`);
            const failed = item.id === 'f' && item.attempts === 1;
            return cold('--(r|)', { r: failed ? { item, ok: false as const, error: new Error('503') } : { item, ok: true as const, value: item.id } });
          });
        testScheduler.schedule(() => inUseDuringBackoff.push(coordinator.budget('s').inUse), 3);
        merge(hot('(fxyz)', jobs), retries$)
          .pipe(
            prioritySlots({ queue: new LevelQueue<RankedJob>(), servers: ['s'], coordinator, work: attempt }),
            requeueWithBackoff({ maxRetries: 1, backoff: { initialDelayMs: 3, jitter: 'none' }, scheduler: testScheduler, requeue: (item) => retries$.next(item) }),
            map((result) => `${result.item.id}@${testScheduler.now()}`),
          )
          .subscribe((outcome) => outcomes.push(outcome));
      });
      // f fails at 2 and waits until 5 holding nothing: x takes the slot at 2, y at 4. Back in the
      // queue at 5, f goes ahead of z, which waited since 0 at a lower priority.
      expect(starts).toEqual(['f@0', 'x@2', 'y@4', 'f@6', 'z@8']);
      expect(outcomes).toEqual(['x@4', 'y@6', 'f@8', 'z@10']);
      expect(inUseDuringBackoff).toEqual([1]);
    });
  });

  describe('validation at creation', () => {
    const requeueFn = (): void => undefined;
    it.each([
      ['config', undefined],
      ['maxRetries', { maxRetries: -1, requeue: requeueFn }],
      ['requeue', { maxRetries: 1 }],
      ['onRetry', { maxRetries: 1, requeue: requeueFn, onRetry: 'log' }],
      ['backoff.jitter', { maxRetries: 1, requeue: requeueFn, backoff: { jitter: 'some' } }],
      ['random', { maxRetries: 1, requeue: requeueFn, random: 0.5 }],
      ['scheduler', { maxRetries: 1, requeue: requeueFn, scheduler: {} }],
    ])('should throw a TypeError naming `%s`', (field, config) => {
      let thrown: unknown;
      try {
        requeueWithBackoff(config as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as InvalidOptionError).field).toBe(field);
    });
  });
});
