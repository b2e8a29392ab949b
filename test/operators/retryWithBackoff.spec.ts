import { config as rxjsConfig, defer, identity, mergeMap, Observable, of, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/NonRetryableError.js';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { shouldRetry } from '../../src/operators/retryPolicy.js';
import { retryWithBackoff, type RetryInfo } from '../../src/operators/retryWithBackoff.js';

/** A random source that replays `values` in a loop. */
function replay(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** Subscribes to `attempts[0]` on the first subscription, `attempts[1]` on the second, and so on. */
function attemptsOf<T>(...attempts: Observable<T>[]): Observable<T> {
  let i = 0;
  return defer(() => attempts[Math.min(i++, attempts.length - 1)]!);
}

// Delays of 2, 4, 8, 16... frames: exact and short enough to draw.
const doubling = { initialDelayMs: 2, multiplier: 2, maxDelayMs: 1_000, jitter: 'none' } as const;

describe('retryWithBackoff', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('the rxjs operator checklist', () => {
    it('should not complete or error with a never source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const subs = '       ^';
        const expected = '   -';

        expectObservable(source.pipe(retryWithBackoff({ maxRetries: 3, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should complete with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs = '       (^!)';
        const expected = '   |';

        expectObservable(source.pipe(retryWithBackoff({ maxRetries: 3, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should mirror a source with one value', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a|');
        const subs = '       ^--!';
        const expected = '   --a|';

        expectObservable(source.pipe(retryWithBackoff({ maxRetries: 3, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should mirror a source with many values', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c|');
        const subs = '       ^-----!';
        const expected = '   -a-b-c|';

        expectObservable(source.pipe(retryWithBackoff({ maxRetries: 3, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should resubscribe after 2, 4 and 8 frames, then error with the last error', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, new Error('boom'));
        const subs = [
          '                  ^-!',
          '                  ----^-!',
          '                  ----------^-!',
          '                  --------------------^-!',
        ];
        const expected = '   ----------------------#';

        const result = source.pipe(retryWithBackoff({ maxRetries: 3, backoff: doubling, scheduler: testScheduler }));

        expectObservable(result).toBe(expected, undefined, new Error('boom'));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should replay values of every attempt, like retry', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-#');
        const subs = ['      ^--!', '      ------^--!'];
        const expected = '   -a-----a-#';

        const result = source.pipe(
          retryWithBackoff({ maxRetries: 1, backoff: { ...doubling, initialDelayMs: 3 }, scheduler: testScheduler }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should retry a synchronous error after the backoff, not at once', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#');
        const subs = ['      (^!)', '      --(^!)', '      ------(^!)'];
        const expected = '   ------#';

        const result = source.pipe(retryWithBackoff({ maxRetries: 2, backoff: doubling, scheduler: testScheduler }));

        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should complete when an attempt after a failure succeeds', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold(' --#');
        const second = cold('--a|');
        const firstSubs = '  ^-!';
        const secondSubs = ' ----^--!';
        const expected = '   ------a|';

        const result = attemptsOf(first, second).pipe(
          retryWithBackoff({ maxRetries: 5, backoff: doubling, scheduler: testScheduler }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(first.subscriptions).toBe(firstSubs);
        expectSubscriptions(second.subscriptions).toBe(secondSubs);
      });
    });

    it('should allow early unsubscription while the source runs', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--b--c|');
        const unsub = '      ----!';
        const subs = '       ^---!';
        const expected = '   --a-';

        const result = source.pipe(retryWithBackoff({ maxRetries: 3, scheduler: testScheduler }));

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should cancel the wait, and never resubscribe, when unsubscribed during a backoff', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#');
        const unsub = '      -----!';
        const subs = '       ^-!';
        const expected = '   ------';

        const result = source.pipe(
          retryWithBackoff({ maxRetries: 3, backoff: { ...doubling, initialDelayMs: 8 }, scheduler: testScheduler }),
        );

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should not break unsubscription chains when result is unsubscribed explicitly', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--1-2-#');
        const subs = ['      ^-----!', '     --------^---!'];
        const unsub = '      ------------!';
        const expected = '   --1-2-----1-';

        const result = source.pipe(
          mergeMap((x) => of(x)),
          retryWithBackoff({ maxRetries: 3, backoff: doubling, scheduler: testScheduler }),
          mergeMap((x) => of(x)),
        );

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should stop listening to a synchronous observable when unsubscribed', () => {
      const sideEffects: number[] = [];
      const synchronousObservable = new Observable<number>((subscriber) => {
        for (let i = 0; !subscriber.closed && i < 10; i++) {
          sideEffects.push(i);
          subscriber.next(i);
        }
      });

      synchronousObservable.pipe(retryWithBackoff({ maxRetries: 3 }), take(3)).subscribe(() => {
        /* noop */
      });

      expect(sideEffects).toEqual([0, 1, 2]);
    });
  });

  describe('virtual times of resubscription', () => {
    it('should wait the jittered delays of a seeded random source', () => {
      const retries: RetryInfo[] = [];
      const error = new Error('flaky');
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        // full jitter over 10, 20, 40 with r = 0.5, 0.25, 0.75: waits of 5, 5 and 30 frames.
        const source = cold('-#', undefined, error);
        const subs = ['      ^!', '      ------^!', '      ------------^!', '      43ms ^!'];
        const expected = '   44ms #';

        const result = source.pipe(
          retryWithBackoff({
            maxRetries: 3,
            backoff: { initialDelayMs: 10, multiplier: 2, maxDelayMs: 100, jitter: 'full' },
            random: replay(0.5, 0.25, 0.75),
            scheduler: testScheduler,
            onRetry: (info) => retries.push(info),
          }),
        );

        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(retries).toEqual([
        { retry: 1, error, delayMs: 5 },
        { retry: 2, error, delayMs: 5 },
        { retry: 3, error, delayMs: 30 },
      ]);
    });

    it('should use asyncScheduler, virtualised by run(), when no scheduler is given', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#');
        const subs = ['      ^-!', '      ----^-!'];
        const expected = '   ------#';

        expectObservable(source.pipe(retryWithBackoff({ maxRetries: 1, backoff: doubling }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should cap the waits at maxDelayMs', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#');
        // 2, 4, then capped at 5, 5.
        const subs = ['      (^!)', '      --(^!)', '      ------(^!)', '      -----------(^!)', '      ----------------(^!)'];
        const expected = '   ----------------#';

        const result = source.pipe(
          retryWithBackoff({ maxRetries: 4, backoff: { ...doubling, maxDelayMs: 5 }, scheduler: testScheduler }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should never resubscribe after maxRetries, however long we wait', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#');
        const subs = ['      ^!', '      ---^!'];
        const expected = '   ----#';

        const result = source.pipe(retryWithBackoff({ maxRetries: 1, backoff: doubling, scheduler: testScheduler }));

        // expectSubscriptions sees every subscription up to the end of the flush, not just the window.
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });
  });

  describe('stopping early', () => {
    it('should stop at once with the cause of a NonRetryableError', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const cause = new Error('HTTP 400');
        const source = cold('--#', undefined, new NonRetryableError(cause));
        const subs = '       ^-!';
        const expected = '   --#';

        const result = source.pipe(retryWithBackoff({ maxRetries: 5, backoff: doubling, scheduler: testScheduler }));

        expectObservable(result).toBe(expected, undefined, cause);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should unwrap a NonRetryableError that is also the last allowed failure', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const cause = 'gone for good';
        const first = cold(' -#', undefined, new Error('transient'));
        const second = cold('-#', undefined, new NonRetryableError(cause));

        const result = attemptsOf(first, second).pipe(
          retryWithBackoff({ maxRetries: 1, backoff: doubling, scheduler: testScheduler }),
        );

        expectObservable(result).toBe('----#', undefined, cause);
      });
    });

    it('should not consult isRetryable for a NonRetryableError', () => {
      const seen: unknown[] = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, new NonRetryableError('fatal'));
        const result = source.pipe(
          retryWithBackoff({
            maxRetries: 3,
            isRetryable: (e) => {
              seen.push(e);
              return true;
            },
            scheduler: testScheduler,
          }),
        );

        expectObservable(result).toBe('-#', undefined, 'fatal');
      });
      expect(seen).toEqual([]);
    });

    it('should retry only while isRetryable says so and stop with the error itself', () => {
      const seen: unknown[] = [];
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const transient = new Error('HTTP 503');
        const fatal = new Error('HTTP 404');
        const a = cold('-#', undefined, transient);
        const b = cold('-#', undefined, transient);
        const c = cold('-#', undefined, fatal);
        const d = cold('-a|');
        const expected = '   ---------#';

        const result = attemptsOf(a, b, c, d).pipe(
          retryWithBackoff({
            maxRetries: 10,
            backoff: doubling,
            isRetryable: (e) => {
              seen.push(e);
              return e instanceof Error && e.message.includes('503');
            },
            scheduler: testScheduler,
          }),
        );

        expectObservable(result).toBe(expected, undefined, fatal);
        expectSubscriptions(a.subscriptions).toBe('^!');
        expectSubscriptions(b.subscriptions).toBe('---^!');
        expectSubscriptions(c.subscriptions).toBe('--------^!');
        expectSubscriptions(d.subscriptions).toBe([]);
      });
      expect(seen.map((e) => (e as Error).message)).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 404']);
    });

    it('should treat a throwing isRetryable as "not retryable" and error with the original error', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const original = new Error('HTTP 500');
        const source = cold('--#', undefined, original);
        const subs = '       ^-!';
        const expected = '   --#';

        const result = source.pipe(
          retryWithBackoff({
            maxRetries: 3,
            isRetryable: () => {
              throw new Error('bug in predicate');
            },
            scheduler: testScheduler,
          }),
        );

        expectObservable(result).toBe(expected, undefined, original);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });
  });

  describe('onRetry', () => {
    afterEach(() => {
      rxjsConfig.onUnhandledError = null;
    });

    it('should be told each retry before its wait, with the delay it will last', () => {
      const told: Array<RetryInfo & { at: number }> = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const error = new Error('e');
        const source = cold('-#', undefined, error);
        const result = source.pipe(
          retryWithBackoff({
            maxRetries: 2,
            backoff: doubling,
            scheduler: testScheduler,
            onRetry: (info) => told.push({ ...info, at: testScheduler.now() }),
          }),
        );

        expectObservable(result).toBe('---------#', undefined, error);
      });
      expect(told.map(({ retry, delayMs, at }) => ({ retry, delayMs, at }))).toEqual([
        { retry: 1, delayMs: 2, at: 1 },
        { retry: 2, delayMs: 4, at: 4 },
      ]);
    });

    it('should retry on the same schedule when onRetry throws, and report the throw', () => {
      const reported: unknown[] = [];
      rxjsConfig.onUnhandledError = (e) => reported.push(e);
      const hookError = new Error('logger down');
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold(' -#');
        const second = cold('-#');
        const third = cold(' -a|');
        const expected = '   ---------a|';

        const result = attemptsOf(first, second, third).pipe(
          retryWithBackoff({
            maxRetries: 2,
            backoff: doubling,
            scheduler: testScheduler,
            onRetry: () => {
              throw hookError;
            },
          }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(first.subscriptions).toBe('^!');
        expectSubscriptions(second.subscriptions).toBe('---^!');
        expectSubscriptions(third.subscriptions).toBe('--------^-!');
      });
      expect(reported).toEqual([hookError, hookError]);
    });

    it('should still retry when onRetry throws and no unhandled-error handler is set', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const result = attemptsOf(cold('-#'), cold('-a|')).pipe(
          retryWithBackoff({
            maxRetries: 1,
            backoff: doubling,
            scheduler: testScheduler,
            onRetry: () => {
              throw new Error('hook');
            },
          }),
        );

        expectObservable(result).toBe('----a|');
      });
    });
  });

  describe('resetOnSuccess', () => {
    it('should count retries over the whole subscription by default', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a = cold('-#');
        const b = cold('-a#');
        const c = cold('-#');
        const d = cold('-#');
        const expected = '   ----a-----#';

        const result = attemptsOf(a, b, c, d).pipe(
          retryWithBackoff({ maxRetries: 2, backoff: doubling, scheduler: testScheduler }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(a.subscriptions).toBe('^!');
        expectSubscriptions(b.subscriptions).toBe('---^-!');
        expectSubscriptions(c.subscriptions).toBe('---------^!');
        expectSubscriptions(d.subscriptions).toBe([]);
      });
    });

    it('should reset the retry count and the backoff after a value when true', () => {
      const told: RetryInfo[] = [];
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const a = cold('-#');
        const b = cold('-a#');
        const c = cold('-#');
        const d = cold('-#');
        // a fails (retry 1, wait 2); b emits, resetting, then fails (retry 1 again, wait 2);
        // c fails (retry 2, wait 4); d fails (retry 3 > 2): error.
        const expected = '   ----a--------#';

        const result = attemptsOf(a, b, c, d).pipe(
          retryWithBackoff({
            maxRetries: 2,
            backoff: doubling,
            resetOnSuccess: true,
            scheduler: testScheduler,
            onRetry: (info) => told.push(info),
          }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(a.subscriptions).toBe('^!');
        expectSubscriptions(b.subscriptions).toBe('---^-!');
        expectSubscriptions(c.subscriptions).toBe('-------^!');
        expectSubscriptions(d.subscriptions).toBe('------------^!');
      });
      expect(told.map(({ retry, delayMs }) => [retry, delayMs])).toEqual([
        [1, 2],
        [1, 2],
        [2, 4],
      ]);
    });

    it('should restart the decorrelated sequence after a value when true', () => {
      const delays: number[] = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const result = attemptsOf(cold('-#'), cold('-#'), cold('-a#'), cold('-#'), cold('-|')).pipe(
          retryWithBackoff({
            maxRetries: 3,
            backoff: { initialDelayMs: 2, maxDelayMs: 1_000, jitter: 'decorrelated' },
            random: () => 1 - Number.EPSILON / 2,
            resetOnSuccess: true,
            scheduler: testScheduler,
            onRetry: ({ delayMs }) => delays.push(delayMs),
          }),
        );

        // Waits 6 and 18; after the value, 6 and 18 again instead of 54.
        expectObservable(result).toBe('27ms a 26ms |');
      });
      expect(delays).toEqual([6, 18, 6, 18]);
    });
  });

  describe('state', () => {
    it('should keep the backoff state of each subscription apart', () => {
      const delays: number[] = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-#');
        const result = source.pipe(
          retryWithBackoff({
            maxRetries: 2,
            backoff: { initialDelayMs: 2, maxDelayMs: 1_000, jitter: 'decorrelated' },
            random: () => 1 - Number.EPSILON / 2,
            scheduler: testScheduler,
            onRetry: ({ delayMs }) => delays.push(delayMs),
          }),
        );

        // Two subscriptions in step: each waits 6 then 18, as if it were alone.
        expectObservable(result).toBe('27ms #');
        expectObservable(result).toBe('27ms #');
      });
      expect(delays).toEqual([6, 6, 18, 18]);
    });

    it('should retry with the default backoff and Math.random given a bare number', () => {
      let subscriptions = 0;
      let failure: unknown;
      testScheduler.run(() => {
        defer(() => {
          subscriptions++;
          return throwError(() => new Error('always'));
        })
          .pipe(retryWithBackoff(2))
          .subscribe({ error: (e: unknown) => (failure = e) });
      });
      expect(subscriptions).toBe(3);
      expect(failure).toEqual(new Error('always'));
    });
  });

  describe('maxRetries: 0', () => {
    it('should return identity', () => {
      expect(retryWithBackoff(0)).toBe(identity);
      expect(retryWithBackoff({ maxRetries: 0, backoff: doubling })).toBe(identity);
    });

    it('should let the first error through', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a#');
        expectObservable(source.pipe(retryWithBackoff(0))).toBe('-a#');
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });
  });

  describe('validation at creation', () => {
    const invalid: ReadonlyArray<[string, unknown, string]> = [
      ['a negative count', -1, 'maxRetries'],
      ['a fractional count', 1.5, 'maxRetries'],
      ['a NaN count', NaN, 'maxRetries'],
      ['an infinite count', Infinity, 'maxRetries'],
      ['a string config', '3', 'config'],
      ['a null config', null, 'config'],
      ['a config without maxRetries', {}, 'maxRetries'],
      ['a bad backoff field', { maxRetries: 1, backoff: { multiplier: 0.5 } }, 'backoff.multiplier'],
      ['a bad jitter', { maxRetries: 1, backoff: { jitter: 'some' } }, 'backoff.jitter'],
      ['a non-function isRetryable', { maxRetries: 1, isRetryable: true }, 'isRetryable'],
      ['a non-boolean resetOnSuccess', { maxRetries: 1, resetOnSuccess: 'yes' }, 'resetOnSuccess'],
      ['a scheduler without schedule()', { maxRetries: 1, scheduler: { now: () => 0 } }, 'scheduler'],
      ['a non-function random', { maxRetries: 1, random: 0.5 }, 'random'],
      ['a non-function onRetry', { maxRetries: 1, onRetry: {} }, 'onRetry'],
    ];

    it.each(invalid)('should throw a TypeError naming the field for %s', (_label, config, field) => {
      let thrown: unknown;
      try {
        retryWithBackoff(config as number);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as InvalidOptionError).field).toBe(field);
      expect((thrown as Error).message).toMatch(new RegExp(`^Expected \`${field.replace('.', '\\.')}\` to be`));
    });

    it('should validate even when maxRetries is 0', () => {
      expect(() => retryWithBackoff({ maxRetries: 0, random: 'x' as unknown as () => number })).toThrow(
        'Expected `random` to be a function, got `"x"` (string)',
      );
    });
  });
});

describe('shouldRetry', () => {
  const transientOnly = (e: unknown) => e === 'transient';
  const table: ReadonlyArray<[string, unknown, number, number, ((e: unknown) => boolean) | undefined, boolean]> = [
    ['retry while attempts remain', new Error('x'), 1, 3, undefined, true],
    ['retry on the last allowed retry', new Error('x'), 3, 3, undefined, true],
    ['stop when attempts exceed maxRetries', new Error('x'), 4, 3, undefined, false],
    ['stop at once with maxRetries 0', new Error('x'), 1, 0, undefined, false],
    ['stop on a NaN attempt count', new Error('x'), NaN, 3, undefined, false],
    ['stop on a NonRetryableError', new NonRetryableError('x'), 1, 3, undefined, false],
    ['stop on a NonRetryableError even if isRetryable agrees', new NonRetryableError('x'), 1, 3, () => true, false],
    ['retry when isRetryable says yes', 'transient', 1, 3, transientOnly, true],
    ['stop when isRetryable says no', 'fatal', 1, 3, transientOnly, false],
    ['stop when attempts are spent even if isRetryable says yes', 'transient', 4, 3, transientOnly, false],
    [
      'stop when isRetryable throws',
      'transient',
      1,
      3,
      () => {
        throw new Error('bug');
      },
      false,
    ],
    ['read a truthy non-boolean as yes', 'x', 1, 3, (() => 1) as unknown as (e: unknown) => boolean, true],
    ['read undefined as no', 'x', 1, 3, (() => undefined) as unknown as (e: unknown) => boolean, false],
  ];

  it.each(table)('should %s', (_label, error, attemptsMade, maxRetries, isRetryable, expected) => {
    expect(shouldRetry(error, attemptsMade, maxRetries, isRetryable)).toBe(expected);
  });

  it('should run maxRetries + 1 attempts at most when followed literally', () => {
    let attempts = 0;
    do {
      attempts++;
    } while (shouldRetry(new Error('x'), attempts, 4));
    expect(attempts).toBe(5);
  });
});
