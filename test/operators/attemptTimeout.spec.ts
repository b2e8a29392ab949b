import { catchError, config as rxjsConfig, defer, EMPTY, from, identity, mergeMap, Observable, of, take, type SchedulerLike, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/errors/TaskTimeoutError.js';
import { isTaskTimeoutError } from '../../src/errors/guards.js';
import type { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { attemptTimeout } from '../../src/operators/attemptTimeout.js';
import { retryWithBackoff } from '../../src/operators/retryWithBackoff.js';
import { serverSlots } from '../../src/operators/serverSlots.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { virtualPromise } from '../../src/testing/virtualPromise.js';

/** Wraps a scheduler to keep every action it schedules, so tests can prove none is left running. */
function recording(scheduler: SchedulerLike): { scheduler: SchedulerLike; actions: Subscription[] } {
  const actions: Subscription[] = [];
  return {
    actions,
    scheduler: {
      now: () => scheduler.now(),
      schedule: ((work: never, delay?: number, state?: never) => {
        const action = scheduler.schedule(work, delay, state);
        actions.push(action);
        return action;
      }) as SchedulerLike['schedule'],
    },
  };
}

describe('attemptTimeout', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('the rxjs operator checklist', () => {
    it('should time out a never source at exactly timeoutMs with graceMs 0', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const subs = '       ^----!';
        const expected = '   -----#';

        const result = source.pipe(attemptTimeout({ timeoutMs: 5, graceMs: 0, scheduler: testScheduler, taskId: 't1', server: 's1' }));

        expectObservable(result).toBe(expected, undefined, new TaskTimeoutError('t1', 's1', 5));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should complete with an empty source and cancel the deadline', () => {
      const { scheduler, actions } = recording(testScheduler);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs = '       (^!)';
        const expected = '   |';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 5, scheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(actions).toHaveLength(1);
      expect(actions[0]!.closed).toBe(true);
    });

    it('should mirror one value and completion that come in time', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a|');
        const subs = '       ^--!';
        const expected = '   --a|';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 5, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should mirror many values and completion one frame before the deadline', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c|');
        const subs = '       ^-----!';
        const expected = '   -a-b-c|';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 7, scheduler: testScheduler }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should let values through, then error when the source has not completed in time (graceMs 0)', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c-d-e|');
        const subs = '       ^----!';
        const expected = '   -a-b-#';

        const result = source.pipe(attemptTimeout({ timeoutMs: 5, graceMs: 0, scheduler: testScheduler, taskId: 'job-7' }));

        expectObservable(result).toBe(expected, undefined, new TaskTimeoutError('job-7', '', 5));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should time a hot source from subscription, not from when it started', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot(' -a--^--b-----c|');
        const subs = '           ^----!';
        const expected = '       ---b-#';

        const result = source.pipe(attemptTimeout({ timeoutMs: 5, graceMs: 0, scheduler: testScheduler }));

        expectObservable(result).toBe(expected, undefined, new TaskTimeoutError('', '', 5));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should pass a source error through and cancel the deadline', () => {
      const { scheduler, actions } = recording(testScheduler);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a#', undefined, new Error('boom'));
        const subs = '       ^-!';
        const expected = '   -a#';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 5, scheduler }))).toBe(
          expected,
          undefined,
          new Error('boom'),
        );
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(actions.every((action) => action.closed)).toBe(true);
    });

    it('should pass a synchronous throw on subscription through and cancel the deadline', () => {
      const { scheduler, actions } = recording(testScheduler);
      testScheduler.run(({ expectObservable }) => {
        const source = defer(() => {
          throw new Error('bad request');
        });

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 5, scheduler }))).toBe(
          '#',
          undefined,
          new Error('bad request'),
        );
      });
      expect(actions).toHaveLength(1);
      expect(actions[0]!.closed).toBe(true);
    });

    it('should allow early unsubscription, cancelling the deadline and leaving the controller alone', () => {
      const { scheduler, actions } = recording(testScheduler);
      const controller = new AbortController();
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--b--c|');
        const unsub = '      ---!';
        const subs = '       ^--!';
        const expected = '   --a';

        const result = source.pipe(attemptTimeout({ timeoutMs: 5, scheduler, controller }));

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(actions).toHaveLength(1);
      expect(actions[0]!.closed).toBe(true);
      expect(controller.signal.aborted).toBe(false);
    });

    it('should not break unsubscription chains when result is unsubscribed explicitly', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--b--c--|');
        const subs = '       ^------!';
        const unsub = '      -------!';
        const expected = '   --a--b-';

        const result = source.pipe(
          mergeMap((x) => of(x)),
          attemptTimeout({ timeoutMs: 10, scheduler: testScheduler }),
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
      const { scheduler, actions } = recording(testScheduler);

      synchronousObservable.pipe(attemptTimeout({ timeoutMs: 5, scheduler }), take(3)).subscribe(() => {
        /* noop */
      });

      expect(sideEffects).toEqual([0, 1, 2]);
      expect(actions.every((action) => action.closed)).toBe(true);
    });

    it('should cancel the deadline of a synchronous source that completes on subscription', () => {
      const { scheduler, actions } = recording(testScheduler);
      const values: number[] = [];

      of(1, 2, 3)
        .pipe(attemptTimeout({ timeoutMs: 5, scheduler }))
        .subscribe((v) => values.push(v));

      expect(values).toEqual([1, 2, 3]);
      expect(actions).toHaveLength(1);
      expect(actions[0]!.closed).toBe(true);
    });
  });

  describe('the controller', () => {
    it('should be aborted at the deadline with the TaskTimeoutError as its reason, the output erroring once the source settled', () => {
      const controller = new AbortController();
      let abortedAt: number | undefined;
      let reason: unknown;
      controller.signal.addEventListener('abort', () => {
        abortedAt = testScheduler.now();
        reason = controller.signal.reason;
      });
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('----------|');
        const expected = '   ----------#';

        const result = source.pipe(
          attemptTimeout({ timeoutMs: 6, scheduler: testScheduler, controller, taskId: 'render-42', server: 'https://a' }),
        );

        expectObservable(result).toBe(expected, undefined, new TaskTimeoutError('render-42', 'https://a', 6));
        testScheduler.schedule(() => expect(controller.signal.aborted).toBe(false), 5);
      });
      expect(abortedAt).toBe(6);
      expect(isTaskTimeoutError(reason)).toBe(true);
      expect(reason).toBeInstanceOf(TaskTimeoutError);
      expect(reason).toMatchObject({ taskId: 'render-42', server: 'https://a', timeoutMs: 6 });
    });

    it('should abort with the same error instance the output errors with', () => {
      const controller = new AbortController();
      let outputError: unknown;
      testScheduler.run(({ cold }) => {
        cold('-')
          .pipe(attemptTimeout({ timeoutMs: 3, scheduler: testScheduler, controller }))
          .subscribe({ error: (e: unknown) => (outputError = e) });
      });
      expect(outputError).toBeInstanceOf(TaskTimeoutError);
      expect(controller.signal.reason).toBe(outputError);
    });

    it('should not be aborted when the source completes in time', () => {
      const controller = new AbortController();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('--a|');
        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 5, scheduler: testScheduler, controller }))).toBe(
          '--a|',
        );
      });
      expect(controller.signal.aborted).toBe(false);
    });

    it('should unsubscribe a source that reacts to the abort before aborting, with graceMs 0', () => {
      const controller = new AbortController();
      let sourceTornDownBeforeAbort: boolean | undefined;
      let tornDown = false;
      controller.signal.addEventListener('abort', () => {
        sourceTornDownBeforeAbort = tornDown;
      });
      testScheduler.run(({ expectObservable }) => {
        // Like fetch(url, { signal }): the work fails with its own error when the signal aborts.
        const source = new Observable<string>((subscriber) => {
          const onAbort = () => subscriber.error(new Error('AbortError: the operation was aborted'));
          controller.signal.addEventListener('abort', onAbort);
          return () => {
            tornDown = true;
            controller.signal.removeEventListener('abort', onAbort);
          };
        });

        const result = source.pipe(attemptTimeout({ timeoutMs: 4, graceMs: 0, scheduler: testScheduler, controller }));

        expectObservable(result).toBe('----#', undefined, new TaskTimeoutError('', '', 4));
      });
      expect(sourceTornDownBeforeAbort).toBe(true);
    });
  });

  describe('the grace period', () => {
    it('should keep a source that has not settled subscribed until deadline + graceMs (default: timeoutMs), then error', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const subs = '       ^---------!';
        const expected = '   ----------#';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 5, scheduler: testScheduler }))).toBe(expected, undefined, new TaskTimeoutError('', '', 5));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should unsubscribe and error at the deadline with graceMs 0', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a---b|');
        const subs = '       ^---!';
        const expected = '   --a-#';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 4, graceMs: 0, scheduler: testScheduler }))).toBe(
          expected,
          undefined,
          new TaskTimeoutError('', '', 4),
        );
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should error when a source settles during the grace period, ignoring its values after the deadline', () => {
      const abandoned: number[] = [];
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-----b--|');
        const subs = '       ^---------!';
        const expected = '   -a--------#';

        const onAbandoned = (): number => abandoned.push(testScheduler.now());
        const result = source.pipe(attemptTimeout({ timeoutMs: 5, graceMs: 10, scheduler: testScheduler, onAbandoned }));

        expectObservable(result).toBe(expected, undefined, new TaskTimeoutError('', '', 5));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(abandoned).toEqual([]);
    });

    it('should abandon a source that never settles at deadline + graceMs, calling onAbandoned just before unsubscribing it', () => {
      const abandoned: Array<[number, boolean]> = [];
      let tornDown = false;
      testScheduler.run(({ expectObservable }) => {
        const source = new Observable<never>(() => () => (tornDown = true));
        const onAbandoned = (): number => abandoned.push([testScheduler.now(), tornDown]);
        const result = source.pipe(attemptTimeout({ timeoutMs: 3, graceMs: 4, scheduler: testScheduler, onAbandoned }));

        expectObservable(result).toBe('-------#', undefined, new TaskTimeoutError('', '', 3));
      });
      expect(abandoned).toEqual([[7, false]]);
      expect(tornDown).toBe(true);
    });

    it('should error with the TaskTimeoutError when the source errors after the deadline', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('------#', undefined, new Error('late failure'));
        const subs = '       ^-----!';
        const expected = '   ------#';

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 4, scheduler: testScheduler }))).toBe(expected, undefined, new TaskTimeoutError('', '', 4));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should let a source that reacts to the abort settle while subscribed, and still error with the TaskTimeoutError', () => {
      const controller = new AbortController();
      let subscribedAtAbort: boolean | undefined;
      let tornDown = false;
      controller.signal.addEventListener('abort', () => (subscribedAtAbort = !tornDown));
      testScheduler.run(({ expectObservable }) => {
        // Like fetch(url, { signal }): the work fails with its own error when the signal aborts.
        const source = new Observable<string>((subscriber) => {
          const onAbort = (): void => subscriber.error(new Error('AbortError: the operation was aborted'));
          controller.signal.addEventListener('abort', onAbort);
          return () => {
            tornDown = true;
            controller.signal.removeEventListener('abort', onAbort);
          };
        });

        const result = source.pipe(attemptTimeout({ timeoutMs: 4, scheduler: testScheduler, controller }));

        expectObservable(result).toBe('----#', undefined, new TaskTimeoutError('', '', 4));
      });
      expect(subscribedAtAbort).toBe(true);
      expect(tornDown).toBe(true);
    });

    it('should cancel the grace timer when the output is unsubscribed during the grace period', () => {
      const { scheduler, actions } = recording(testScheduler);
      const controller = new AbortController();
      let abandoned = 0;
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a--------|');
        const unsub = '      -----!';
        const subs = '       ^----!';
        const expected = '   -a---';

        const result = source.pipe(attemptTimeout({ timeoutMs: 3, scheduler, controller, onAbandoned: () => abandoned++ }));

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(actions).toHaveLength(2); // the deadline, then the grace timer
      expect(actions.every((action) => action.closed)).toBe(true);
      expect(controller.signal.aborted).toBe(true);
      expect(abandoned).toBe(0);
    });

    it('should wait for the source as long as it takes with graceMs Infinity', () => {
      const { scheduler, actions } = recording(testScheduler);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('1000ms |');

        expectObservable(source.pipe(attemptTimeout({ timeoutMs: 3, graceMs: Infinity, scheduler }))).toBe(
          '1000ms #',
          undefined,
          new TaskTimeoutError('', '', 3),
        );
        expectSubscriptions(source.subscriptions).toBe('^ 999ms !');
      });
      expect(actions).toHaveLength(1); // no grace timer
    });

    it('should report a throw of onAbandoned to config.onUnhandledError and abandon the source all the same', () => {
      const previous = rxjsConfig.onUnhandledError;
      const reported: unknown[] = [];
      rxjsConfig.onUnhandledError = (error) => reported.push(error);
      try {
        testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
          const source = cold('-');
          const onAbandoned = (): void => {
            throw new Error('logger down');
          };

          expectObservable(source.pipe(attemptTimeout({ timeoutMs: 2, graceMs: 3, scheduler: testScheduler, onAbandoned }))).toBe(
            '-----#',
            undefined,
            new TaskTimeoutError('', '', 2),
          );
          expectSubscriptions(source.subscriptions).toBe('^----!');
        });
      } finally {
        rxjsConfig.onUnhandledError = previous;
      }
      expect(reported).toEqual([new Error('logger down')]);
    });
  });

  describe('inside serverSlots', () => {
    /**
     * Runs three items on one server of limit 1, each a Promise handler of 100 ms that ignores its
     * signal, behind `attemptTimeout({ timeoutMs: 10, ... })`; counts the handlers running at once.
     */
    function compose(grace: { graceMs?: number }) {
      const starts: number[] = [];
      const abandoned: number[] = [];
      const inUseAtStart: number[] = [];
      let running = 0;
      let maxRunning = 0;
      testScheduler.run(({ cold }) => {
        const coordinator = localSlotCoordinator();
        const handler = (): PromiseLike<string> => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          starts.push(testScheduler.now());
          inUseAtStart.push(coordinator.budget('s').inUse);
          const promise = virtualPromise(100, 'done', testScheduler);
          promise.then(() => running--);
          return promise;
        };
        const onAbandoned = (): number => abandoned.push(testScheduler.now());
        const work = () =>
          defer(() => from(handler())).pipe(
            attemptTimeout({ timeoutMs: 10, ...grace, scheduler: testScheduler, onAbandoned }),
            catchError(() => EMPTY),
          );
        cold('(abc|)').pipe(serverSlots({ servers: ['s'], coordinator, work })).subscribe();
      });
      return { starts, abandoned, maxRunning, inUseAtStart };
    }

    it('should never run more handlers at once than the limit when the grace covers the handler (graceMs Infinity)', () => {
      const { starts, abandoned, maxRunning, inUseAtStart } = compose({ graceMs: Infinity });

      expect(maxRunning).toBe(1);
      expect(starts).toEqual([0, 100, 200]);
      expect(inUseAtStart).toEqual([1, 1, 1]);
      expect(abandoned).toEqual([]);
    });

    it('should never run more handlers at once than the limit when the handler settles within graceMs', () => {
      const { starts, maxRunning } = compose({ graceMs: 90 });

      expect(maxRunning).toBe(1);
      expect(starts).toEqual([0, 100, 200]);
    });

    it('should hold the slot until deadline + graceMs (default: timeoutMs), then abandon the handler', () => {
      const { starts, abandoned, inUseAtStart } = compose({});

      // Abandoned handlers go on running (they ignore their signal): the grace bounds the wait.
      expect(starts).toEqual([0, 20, 40]);
      expect(abandoned).toEqual([20, 40, 60]);
      expect(inUseAtStart).toEqual([1, 1, 1]);
    });

    it('should give the slot back at the deadline with graceMs 0 (for Observable sources that stop when unsubscribed)', () => {
      const { starts, maxRunning } = compose({ graceMs: 0 });

      expect(starts).toEqual([0, 10, 20]);
      expect(maxRunning).toBe(3);
    });
  });

  describe('each subscription', () => {
    it('should get a deadline of its own', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('------|');
        const result = source.pipe(attemptTimeout({ timeoutMs: 4, graceMs: 0, scheduler: testScheduler }));
        const sub1 = '       ^';
        const sub2 = '       --^';

        expectObservable(result, sub1).toBe('----#', undefined, new TaskTimeoutError('', '', 4));
        expectObservable(result, sub2).toBe('------#', undefined, new TaskTimeoutError('', '', 4));
        expectSubscriptions(source.subscriptions).toBe(['^---!', '--^---!']);
      });
    });

    it('should give every attempt the full time inside retryWithBackoff', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const slow = cold('-----a|');
        const fast = cold('-a|');
        const attempts = [slow, fast];
        let i = 0;
        const expected = '   ------a|';

        // The first attempt times out at 3, waits 2, and the second completes 2 frames in.
        const result = defer(() => attempts[i++]!).pipe(
          attemptTimeout({ timeoutMs: 3, graceMs: 0, scheduler: testScheduler }),
          retryWithBackoff({
            maxRetries: 2,
            backoff: { initialDelayMs: 2, jitter: 'none' },
            isRetryable: isTaskTimeoutError,
            scheduler: testScheduler,
          }),
        );

        expectObservable(result).toBe(expected);
        expectSubscriptions(slow.subscriptions).toBe('^--!');
        expectSubscriptions(fast.subscriptions).toBe('-----^-!');
      });
    });
  });

  describe('the number shorthand and Infinity', () => {
    it('should use asyncScheduler, virtualised by run(), for a bare number, with graceMs = timeoutMs', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('-').pipe(attemptTimeout(5))).toBe('----------#', undefined, new TaskTimeoutError('', '', 5));
      });
    });

    it('should return identity for Infinity, given as a number or in a config', () => {
      expect(attemptTimeout(Infinity)).toBe(identity);
      expect(attemptTimeout({ timeoutMs: Infinity, controller: new AbortController(), taskId: 't' })).toBe(identity);
    });

    it('should never time out or abort with Infinity', () => {
      const controller = new AbortController();
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('1000ms a|');
        expectObservable(source.pipe(attemptTimeout({ timeoutMs: Infinity, controller }))).toBe('1000ms a|');
        expectSubscriptions(source.subscriptions).toBe('^ 1000ms !');
      });
      expect(controller.signal.aborted).toBe(false);
    });
  });

  describe('validation at creation', () => {
    const invalid: ReadonlyArray<[string, unknown, string]> = [
      ['a zero timeout', 0, 'timeoutMs'],
      ['a negative timeout', -5, 'timeoutMs'],
      ['a NaN timeout', NaN, 'timeoutMs'],
      ['-Infinity', -Infinity, 'timeoutMs'],
      ['a string config', '5', 'config'],
      ['a null config', null, 'config'],
      ['a config without timeoutMs', {}, 'timeoutMs'],
      ['a string timeoutMs', { timeoutMs: '5' }, 'timeoutMs'],
      ['a scheduler without now()', { timeoutMs: 5, scheduler: { schedule: () => undefined } }, 'scheduler'],
      ['a controller without abort()', { timeoutMs: 5, controller: { signal: {} } }, 'controller'],
      ['a signal instead of a controller', { timeoutMs: 5, controller: new AbortController().signal }, 'controller'],
      ['a numeric taskId', { timeoutMs: 5, taskId: 7 }, 'taskId'],
      ['a null server', { timeoutMs: 5, server: null }, 'server'],
      ['a bad field next to Infinity', { timeoutMs: Infinity, taskId: 7 }, 'taskId'],
      ['a negative graceMs', { timeoutMs: 5, graceMs: -1 }, 'graceMs'],
      ['a NaN graceMs', { timeoutMs: 5, graceMs: NaN }, 'graceMs'],
      ['a string graceMs', { timeoutMs: 5, graceMs: '5' }, 'graceMs'],
      ['a bad graceMs next to Infinity', { timeoutMs: Infinity, graceMs: -Infinity }, 'graceMs'],
      ['a non-function onAbandoned', { timeoutMs: 5, onAbandoned: 'log' }, 'onAbandoned'],
    ];

    it.each(invalid)('should throw a TypeError naming the field for %s', (_label, config, field) => {
      let thrown: unknown;
      try {
        attemptTimeout(config as number);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as InvalidOptionError).field).toBe(field);
      expect((thrown as Error).message).toMatch(new RegExp(`^Expected \`${field}\` to be`));
    });

    it('should say what was expected and what was given', () => {
      expect(() => attemptTimeout(0)).toThrow('Expected `timeoutMs` to be a number above 0, or Infinity, got `0` (number)');
      expect(() => attemptTimeout({ timeoutMs: 5, graceMs: -1 })).toThrow('Expected `graceMs` to be a number from 0 and up, or Infinity, got `-1` (number)');
    });

    it('should accept graceMs 0 and Infinity', () => {
      expect(() => attemptTimeout({ timeoutMs: 5, graceMs: 0 })).not.toThrow();
      expect(() => attemptTimeout({ timeoutMs: 5, graceMs: Infinity, onAbandoned: () => undefined })).not.toThrow();
    });
  });
});

describe('attemptTimeout error messages', () => {
  it('should read well without a task or a server', () => {
    expect(new TaskTimeoutError('', '', 20).message).toBe('Attempt timed out after 20 ms');
    expect(new TaskTimeoutError('x', '', 20).message).toBe("Task 'x' timed out after 20 ms");
    expect(new TaskTimeoutError('', 's', 20).message).toBe("Attempt timed out after 20 ms on server 's'");
    expect(new TaskTimeoutError('x', 's', 20).message).toBe("Task 'x' timed out after 20 ms on server 's'");
  });
});
