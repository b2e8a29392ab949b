import { isRight } from 'fp-ts/lib/Either.js';
import { concat, ignoreElements, map, NEVER, Observable, of, throwError, timer, type Subscriber } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createTaskManager,
  isTaskCancelledError,
  isTaskTimeoutError,
  localSlotCoordinator,
  type Provider,
  type TaskEvent,
  type TaskManager,
  type TaskManagerOptions,
  type TaskOutcome,
} from '../../src/index.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

// Handlers that misbehave. The documented outcome of each case is the test's name; the table in
// test/reliability/README.md repeats them.

interface Rig {
  readonly m: TaskManager;
  readonly events: TaskEvent[];
  readonly outcomes: Map<string, Array<[number, TaskOutcome]>>;
  submit(id: string, payload?: unknown, extra?: Record<string, unknown>): void;
  inUse(server?: string): number;
}

function rig(scheduler: { now(): number }, handle: Provider['handle'], options: Partial<TaskManagerOptions> = {}): Rig {
  const m = createTaskManager({ scheduler: scheduler as never, providers: [{ name: 'p', servers: ['s'], handle }], ...options });
  const events: TaskEvent[] = [];
  m.events$.subscribe((e) => events.push(e));
  const outcomes = new Map<string, Array<[number, TaskOutcome]>>();
  return {
    m,
    events,
    outcomes,
    submit(id, payload = id, extra = {}) {
      const r = m.submit({ provider: 'p', payload, id, ...extra });
      expect(isRight(r)).toBe(true);
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.set(id, [...(outcomes.get(id) ?? []), [scheduler.now(), o]]));
    },
    inUse(server = 's') {
      return m.stats().servers[server]?.inUse ?? -1;
    },
  };
}

const only = (r: Rig, id: string): [number, TaskOutcome] => {
  const list = r.outcomes.get(id) ?? [];
  expect(list).toHaveLength(1); // exactly one outcome, whatever the handler did
  return list[0] as [number, TaskOutcome];
};

describe('handlers that never settle', () => {
  it('should fail an Observable handler that never emits with a TaskTimeoutError at its timeout, and free the slot at once', () => {
    inVirtualTime((scheduler, flush) => {
      let unsubscribedAt = -1;
      const r = rig(scheduler, (t) => (t.payload === 'hang' ? new Observable(() => () => (unsubscribedAt = scheduler.now())) : work(5, 'next', scheduler)));
      r.submit('hang', 'hang', { timeoutMs: 100 });
      r.submit('next');
      flush();
      const [at, outcome] = only(r, 'hang');
      expect(at).toBe(100);
      expect(outcome._tag === 'Failed' && isTaskTimeoutError(outcome.error)).toBe(true);
      expect(unsubscribedAt).toBe(100);
      expect(only(r, 'next')).toEqual([105, expect.objectContaining({ _tag: 'Succeeded', value: 'next' })]);
    });
  });

  it('should fail a Promise handler that never settles at its timeout, keep its slot for abandonAfterMs, then abandon it and say so', () => {
    inVirtualTime((scheduler, flush) => {
      const never: PromiseLike<never> = { then: () => never as never };
      const r = rig(scheduler, (t) => (t.payload === 'hang' ? never : work(5, 'next', scheduler)), { abandonAfterMs: 50 });
      r.submit('hang', 'hang', { timeoutMs: 100 });
      r.submit('next');
      const inUse: number[] = [];
      for (const at of [99, 149, 151]) scheduler.schedule(() => inUse.push(r.inUse()), at);
      flush();
      const [at, outcome] = only(r, 'hang');
      expect(at).toBe(100);
      expect(outcome._tag === 'Failed' && isTaskTimeoutError(outcome.error)).toBe(true);
      expect(inUse).toEqual([1, 1, 1]); // 'next' took the slot the moment it was given back
      expect(r.events.find((e) => e.type === 'abandoned')).toMatchObject({ id: 'hang', at: 150, attempt: 1, server: 's' });
      expect(only(r, 'next')[0]).toBe(155);
    });
  });

  it('should run a never-settling handler without a timeout until it is cancelled: Cancelled, signal aborted, slot freed', () => {
    inVirtualTime((scheduler, flush) => {
      let signal: AbortSignal | undefined;
      const r = rig(scheduler, (t, ctx) => {
        if (t.payload !== 'hang') return work(5, 'next', scheduler);
        signal = ctx.signal;
        return NEVER;
      }, { timeout: Infinity });
      r.submit('hang');
      r.submit('next');
      scheduler.schedule(() => expect(r.m.cancel('hang')).toEqual({ _tag: 'InterruptedRunning', server: 's' }), 1_000_000);
      flush();
      expect(only(r, 'hang')).toEqual([1_000_000, expect.objectContaining({ _tag: 'Cancelled', reason: 'cancel', attempts: 1 })]);
      expect(only(r, 'next')[0]).toBe(1_000_005);
      expect(signal?.aborted).toBe(true);
      expect(isTaskCancelledError(signal?.reason)).toBe(true);
    });
  });

  it('should end a never-settling handler at a cancel-mode shutdown when the grace period runs out: Cancelled(shutdown), reported unfinished', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const r = rig(scheduler, () => NEVER, { timeout: Infinity });
      r.submit('hang');
      const report = r.m.shutdown({ mode: 'cancel', graceMs: 300 });
      flush();
      expect(only(r, 'hang')).toEqual([300, expect.objectContaining({ _tag: 'Cancelled', reason: 'shutdown' })]);
      expect((await report).unfinished.map((t) => t.id)).toEqual(['hang']);
    });
  });
});

describe('handlers that settle after their signal was aborted', () => {
  it('should ignore a Promise that resolves after the timeout: the outcome is the TaskTimeoutError, the retry waits for the late settle', () => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, (_t, ctx) => (ctx.attempt === 1 ? virtualPromise(250, 'late', scheduler) : virtualPromise(10, 'second', scheduler)), {
        abandonAfterMs: 1000,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 20, jitter: 'none' } },
      });
      r.submit('t', 't', { timeoutMs: 100 });
      flush();
      const starts = r.events.filter((e) => e.type === 'started').map((e) => e.at);
      expect(starts).toEqual([0, 250]); // the retry (due at 120) never overlaps the orphan
      expect(only(r, 't')).toEqual([260, expect.objectContaining({ _tag: 'Succeeded', value: 'second', attempts: 2 })]);
    });
  });

  it('should ignore a Promise that rejects after a cancel: Cancelled once, no retry, no Failed', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const r = rig(scheduler, () => {
        calls++;
        return virtualPromise(200, new Error('after abort'), scheduler, true);
      }, { retry: { maxRetries: 3 }, abandonAfterMs: 1000 });
      r.submit('t');
      scheduler.schedule(() => r.m.cancel('t'), 50);
      flush();
      expect(calls).toBe(1);
      expect(only(r, 't')).toEqual([50, expect.objectContaining({ _tag: 'Cancelled', reason: 'cancel' })]);
      expect(r.events.filter((e) => e.id === 't').map((e) => e.type)).toEqual(['queued', 'started', 'cancelled']);
    });
  });

  it('should ignore an Observable that keeps emitting and completes after it was unsubscribed at its timeout', () => {
    inVirtualTime((scheduler, flush) => {
      let captured: Subscriber<string> | undefined;
      const r = rig(scheduler, () => new Observable<string>((subscriber) => {
        captured = subscriber; // a badly written source that ignores its teardown
      }));
      r.submit('t', 't', { timeoutMs: 100 });
      scheduler.schedule(() => {
        captured?.next('too late');
        captured?.complete();
      }, 150);
      flush();
      const [at, outcome] = only(r, 't');
      expect(at).toBe(100);
      expect(outcome._tag === 'Failed' && isTaskTimeoutError(outcome.error)).toBe(true);
      expect(r.m.stats().providers['p']).toMatchObject({ succeeded: 0, failed: 1 });
    });
  });
});

describe('handlers that throw or reject with non-Error values', () => {
  const values: Array<[string, unknown]> = [
    ['a string', 'boom'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { code: 'E_BAD' }],
    ['a symbol', Symbol.for('bad')],
  ];

  it.each(values)('should fail with exactly the thrown value (%s), retry it, and show isRetryable the same value', (_name, value) => {
    inVirtualTime((scheduler, flush) => {
      const seen: unknown[] = [];
      const r = rig(scheduler, (t) => {
        if (t.payload === 'bad') throw value;
        return 'good';
      }, { retry: { maxRetries: 2, backoff: { initialDelayMs: 1, jitter: 'none' }, isRetryable: (e) => (seen.push(e), true) } });
      r.submit('bad');
      r.submit('good');
      flush();
      const [, outcome] = only(r, 'bad');
      expect(outcome).toMatchObject({ _tag: 'Failed', attempts: 3 });
      expect(Object.is((outcome as { error: unknown }).error, value)).toBe(true);
      expect(seen.length).toBe(2);
      expect(seen.every((e) => Object.is(e, value))).toBe(true);
      expect(only(r, 'good')[1]).toMatchObject({ _tag: 'Succeeded', value: 'good' });
    });
  });

  it.each(values)('should fail with exactly the rejection value (%s) of a Promise or Observable handler', (_name, value) => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, (t) => (t.payload === 'promise' ? virtualPromise(5, value, scheduler, true) : throwError(() => value)));
      r.submit('promise');
      r.submit('observable');
      flush();
      for (const id of ['promise', 'observable']) {
        const [, outcome] = only(r, id);
        expect(outcome._tag).toBe('Failed');
        expect(Object.is((outcome as { error: unknown }).error, value)).toBe(true);
      }
    });
  });
});

describe('Observable handlers that emit several values', () => {
  it('should count the LAST value before completion (synchronous values)', () => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, () => of('first', 'second', 'last'));
      r.submit('t');
      flush();
      expect(only(r, 't')[1]).toMatchObject({ _tag: 'Succeeded', value: 'last', attempts: 1 });
    });
  });

  it('should count the LAST value before completion, and finish when the handler completes, not at its first value', () => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, () => new Observable<number>((s) => {
        const steps = [timer(10, scheduler).subscribe(() => s.next(1)), timer(20, scheduler).subscribe(() => s.next(2)), timer(30, scheduler).subscribe(() => s.complete())];
        return () => steps.forEach((step) => step.unsubscribe());
      }));
      r.submit('t');
      flush();
      expect(only(r, 't')).toEqual([30, expect.objectContaining({ _tag: 'Succeeded', value: 2 })]);
    });
  });

  it('should succeed with undefined when the Observable completes without a value', () => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, () => timer(10, scheduler).pipe(ignoreElements()));
      r.submit('t');
      flush();
      expect(only(r, 't')).toEqual([10, expect.objectContaining({ _tag: 'Succeeded', value: undefined })]);
    });
  });

  it('should fail the attempt when the Observable errors after emitting: the values are dropped, the retry decides', () => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, (t, ctx) =>
        t.payload === 'always' || ctx.attempt === 1
          ? concat(of('partial-1', 'partial-2'), timer(10, scheduler).pipe(map(() => { throw new Error(`broke on attempt ${ctx.attempt}`); })))
          : of('whole'), { retry: { maxRetries: 1, backoff: { initialDelayMs: 5, jitter: 'none' } } });
      r.submit('recovers', 'recovers');
      r.submit('always', 'always');
      flush();
      expect(only(r, 'recovers')[1]).toMatchObject({ _tag: 'Succeeded', value: 'whole', attempts: 2 });
      const [, failed] = only(r, 'always');
      expect(failed).toMatchObject({ _tag: 'Failed', attempts: 2 });
      expect((failed as { error: Error }).error.message).toBe('broke on attempt 2');
    });
  });
});

describe('handlers that return odd things or call back into the manager', () => {
  it.each([
    ['null', null, null],
    ['a number', 7, 7],
    ['an array (a plain value, not a stream)', ['a', 'b'], ['a', 'b']],
    ['an object whose then is not a function', { then: 5 }, { then: 5 }],
  ])('should succeed with the plain value when the handler returns %s', (_name, value, expected) => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, () => value);
      r.submit('t');
      flush();
      const [, outcome] = only(r, 't');
      expect(outcome._tag).toBe('Succeeded');
      expect((outcome as { value: unknown }).value).toEqual(expected);
    });
  });

  it('should fail the attempt, and nothing else, when the returned interop Observable throws on subscribe', () => {
    inVirtualTime((scheduler, flush) => {
      const r = rig(scheduler, (t) => (t.payload === 'bad' ? { '@@observable': () => { throw new Error('interop'); } } : 'good'));
      r.submit('bad');
      r.submit('good');
      flush();
      expect((only(r, 'bad')[1] as { error: Error }).error.message).toBe('interop');
      expect(only(r, 'good')[1]).toMatchObject({ _tag: 'Succeeded', value: 'good' });
    });
  });

  it('should give a handler that cancels its own task one Cancelled outcome and free the slot', () => {
    inVirtualTime((scheduler, flush) => {
      const ref: { m?: TaskManager } = {};
      const r = rig(scheduler, (t) => {
        if (t.payload === 'self') {
          expect(ref.m?.cancel(t.id)).toEqual({ _tag: 'InterruptedRunning', server: 's' });
          return work(10, 'ignored', scheduler);
        }
        return work(10, 'next', scheduler);
      });
      ref.m = r.m;
      r.submit('self');
      r.submit('next');
      flush();
      expect(only(r, 'self')).toEqual([0, expect.objectContaining({ _tag: 'Cancelled', reason: 'cancel', attempts: 1 })]);
      expect(only(r, 'next')).toEqual([10, expect.objectContaining({ _tag: 'Succeeded', value: 'next' })]);
    });
  });

  it('should let a handler submit more tasks synchronously, and still keep the budget within its limit', () => {
    inVirtualTime((scheduler, flush) => {
      const coordinator = localSlotCoordinator({ defaultLimit: 2 });
      let running = 0;
      let peak = 0;
      const ref: { m?: TaskManager } = {};
      const ids: string[] = [];
      const r = rig(scheduler, (t) => {
        running++;
        peak = Math.max(peak, running);
        const depth = t.payload as number;
        if (depth < 3) {
          for (let k = 0; k < 2; k++) {
            const child = ref.m?.submit({ provider: 'p', payload: depth + 1 });
            if (child && isRight(child)) ids.push(child.right.id);
          }
        }
        return work(10, depth, scheduler).pipe((source) => new Observable<number>((s) => {
          const sub = source.subscribe(s);
          return () => {
            running--;
            sub.unsubscribe();
          };
        }));
      }, { coordinator });
      ref.m = r.m;
      r.submit('root', 0);
      flush();
      expect(ids).toHaveLength(14); // 2 + 4 + 8
      expect(peak).toBe(2);
      expect(r.m.stats().providers['p']).toMatchObject({ succeeded: 15, queued: 0, running: 0 });
    });
  });
});
