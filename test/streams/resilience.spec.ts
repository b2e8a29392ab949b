import { isRight } from 'fp-ts/lib/Either.js';
import { NEVER, Observable, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createTaskManager,
  isSlotWaitTimeoutError,
  isTaskTimeoutError,
  NonRetryableError,
  type TaskEvent,
  type TaskOutcome,
} from '../../src/index.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

const fixedBackoff = { initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000, jitter: 'none' as const };

describe('task manager resilience', () => {
  it('should make exactly maxRetries + 1 attempts and emit one Failed outcome', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 2, backoff: fixedBackoff },
        providers: [{ name: 'p', servers: ['s'], handle: () => { calls++; return throwError(() => new Error(`fail ${calls}`)); } }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      const outcomes: TaskOutcome[] = [];
      const r = m.submit({ provider: 'p', payload: 0, id: 't' });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      flush();
      expect(calls).toBe(3);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ _tag: 'Failed', attempts: 3, elapsedMs: 300 });
      expect((outcomes[0] as { error: Error }).error.message).toBe('fail 3');
      // Backoff 100 then 200 (no jitter): attempts at 0, 100, 300.
      expect(events.filter((e) => e.type === 'started').map((e) => [e.at, (e as { attempt: number }).attempt])).toEqual([
        [0, 1],
        [100, 2],
        [300, 3],
      ]);
      expect(events.filter((e) => e.type === 'retrying').map((e) => (e as { delayMs: number }).delayMs)).toEqual([100, 200]);
      expect(m.stats().providers['p']).toMatchObject({ failed: 1, retries: 2, running: 0, waiting: 0 });
    });
  });

  it('should not hold the slot during a backoff: another task takes it', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 1, backoff: fixedBackoff },
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (t, ctx) => (t.payload === 'flaky' && ctx.attempt === 1 ? throwError(() => new Error('x')) : work(50, t.payload, scheduler)),
        }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 'flaky', id: 'flaky' });
      m.submit({ provider: 'p', payload: 'other', id: 'other' });
      flush();
      const starts = events.filter((e) => e.type === 'started').map((e) => [e.id, e.at]);
      // flaky fails at 0, other starts at 0 on the freed slot; flaky's retry (due at 100) starts then.
      expect(starts).toEqual([
        ['flaky', 0],
        ['other', 0],
        ['flaky', 100],
      ]);
    });
  });

  it('should stop retrying on NonRetryableError and fail with its cause', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const cause = new Error('bad request');
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 5 },
        providers: [{ name: 'p', servers: ['s'], handle: () => { calls++; throw new NonRetryableError(cause); } }],
      });
      const outcomes: TaskOutcome[] = [];
      const r = m.submit({ provider: 'p', payload: 0 });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      flush();
      expect(calls).toBe(1);
      expect(outcomes[0]).toMatchObject({ _tag: 'Failed', attempts: 1, error: cause });
    });
  });

  it('should use isRetryable, and treat a throwing isRetryable as "no"', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 5, isRetryable: (e) => { if ((e as Error).message === 'weird') throw new Error('oops'); return (e as Error).message === 'again'; } },
        providers: [{ name: 'p', servers: ['s'], handle: (t) => { calls++; throw new Error(t.payload as string); } }],
      });
      const outcomes: TaskOutcome[] = [];
      for (const payload of ['again', 'final', 'weird']) {
        const r = m.submit({ provider: 'p', payload, id: payload });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      }
      flush();
      expect(Object.fromEntries(outcomes.map((o) => [o.id, o.attempts]))).toEqual({ again: 6, final: 1, weird: 1 });
      expect(calls).toBe(8);
    });
  });

  it('should time out at the right virtual time with a TaskTimeoutError and abort the signal', () => {
    inVirtualTime((scheduler, flush) => {
      let signal: AbortSignal | undefined;
      let teardownAt = -1;
      const m = createTaskManager({
        scheduler,
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (_t, ctx) => new Observable(() => { signal = ctx.signal; return () => { teardownAt = scheduler.now(); }; }),
        }],
      });
      const outcomes: TaskOutcome[] = [];
      const r = m.submit({ provider: 'p', payload: 0, id: 't', timeoutMs: 100 });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      flush();
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ _tag: 'Failed', attempts: 1, elapsedMs: 100 });
      const error = (outcomes[0] as { error: unknown }).error;
      expect(isTaskTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({ taskId: 't', server: 's', timeoutMs: 100 });
      expect(signal?.aborted).toBe(true);
      expect(signal?.reason).toBe(error);
      expect(teardownAt).toBe(100); // an Observable handler is unsubscribed at once
      expect(m.stats().servers['s']?.inUse).toBe(0);
    });
  });

  it('should keep the slot until a Promise handler that ignores its signal returns (100 ms timeout, 300 ms handler)', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        abandonAfterMs: 1000, // longer than the handler takes: it is never abandoned here
        providers: [{ name: 'p', servers: ['s'], handle: () => virtualPromise(300, 'late', scheduler) }],
      });
      const outcomes: Array<[number, TaskOutcome]> = [];
      const r = m.submit({ provider: 'p', payload: 0, timeoutMs: 100 });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push([scheduler.now(), o]));
      const inUse: Array<[number, number]> = [];
      for (const at of [50, 150, 299, 300]) scheduler.schedule(() => inUse.push([at, m.stats().servers['s']?.inUse ?? -1]), at);
      flush();
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]?.[0]).toBe(100);
      expect(isTaskTimeoutError((outcomes[0]?.[1] as { error: unknown }).error)).toBe(true);
      expect(inUse).toEqual([
        [50, 1],
        [150, 1],
        [299, 1],
        [300, 0],
      ]);
    });
  });

  it('should abandon a handler that ignores its signal after the grace period, and say so', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        abandonAfterMs: 50,
        providers: [{ name: 'p', servers: ['s'], handle: () => virtualPromise(10_000, 'never mind', scheduler) }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'hang', timeoutMs: 100 });
      m.submit({ provider: 'p', payload: 0, id: 'next', timeoutMs: Infinity });
      flush();
      expect(events.find((e) => e.type === 'abandoned')).toMatchObject({ id: 'hang', at: 150, server: 's', attempt: 1 });
      expect(events.find((e) => e.type === 'started' && e.id === 'next')?.at).toBe(150);
    });
  });

  it('should consume a retry on timeout and never overlap two attempts of a task', () => {
    inVirtualTime((scheduler, flush) => {
      let running = 0;
      let peak = 0;
      const m = createTaskManager({
        scheduler,
        defaultServerLimit: 5,
        abandonAfterMs: 400,
        retry: { maxRetries: 1, backoff: { ...fixedBackoff, initialDelayMs: 10 } },
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: () => {
            running++;
            peak = Math.max(peak, running);
            const p = virtualPromise(300, 'done', scheduler);
            p.then(() => running--);
            return p;
          },
        }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, timeoutMs: 100 });
      flush();
      // Attempt 1 times out at 100 but runs until 300; the retry (due at 110) waits for it.
      expect(events.filter((e) => e.type === 'started').map((e) => e.at)).toEqual([0, 300]);
      expect(peak).toBe(1);
    });
  });

  it('should take per-attempt timeouts from a function of (callbackName, provider), and survive one that throws', () => {
    inVirtualTime((scheduler, flush) => {
      const asked: Array<[string, string]> = [];
      const m = createTaskManager({
        scheduler,
        defaultServerLimit: 3,
        timeout: (callbackName, provider) => {
          asked.push([callbackName, provider]);
          if (callbackName === 'broken') throw new Error('no');
          return callbackName === 'fast' ? 10 : 1000;
        },
        providers: [{ name: 'p', servers: ['s'], handle: () => NEVER }],
      });
      const outcomes: Array<[string, number]> = [];
      for (const name of ['fast', 'slow', 'broken']) {
        const r = m.submit({ provider: 'p', payload: 0, id: name, callbackName: name });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push([o.id, scheduler.now()]));
      }
      flush();
      expect(asked).toEqual([['fast', 'p'], ['slow', 'p'], ['broken', 'p']]);
      expect(outcomes).toEqual([['fast', 10], ['slow', 1000], ['broken', 60_000]]);
    });
  });

  it('should fail a task that waits longer than slotWait.maxWaitMs, without an attempt', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        slotWait: { maxWaitMs: 250 },
        providers: [{ name: 'p', servers: ['s'], handle: () => work(1000, 1, scheduler) }],
      });
      const outcomes: Array<[number, TaskOutcome]> = [];
      for (const id of ['first', 'second', 'third']) {
        const r = m.submit({ provider: 'p', payload: 0, id });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push([scheduler.now(), o]));
      }
      flush();
      const byId = Object.fromEntries(outcomes.map(([at, o]) => [o.id, [at, o._tag, o.attempts]]));
      expect(byId).toEqual({ first: [1000, 'Succeeded', 1], second: [250, 'Failed', 0], third: [250, 'Failed', 0] });
      const error = (outcomes.find(([, o]) => o.id === 'second')?.[1] as { error: unknown }).error;
      expect(isSlotWaitTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({ taskId: 'second', waitedMs: 250 });
    });
  });

  it('should apply the jitter from the injected random', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        random: () => 0.5,
        retry: { maxRetries: 2, backoff: { initialDelayMs: 100, multiplier: 3, maxDelayMs: 10_000, jitter: 'full' } },
        providers: [{ name: 'p', servers: ['s'], handle: () => throwError(() => new Error('x')) }],
      });
      const delays: number[] = [];
      m.events$.subscribe((e) => e.type === 'retrying' && delays.push(e.delayMs));
      m.submit({ provider: 'p', payload: 0 });
      flush();
      expect(delays).toEqual([50, 150]);
    });
  });
});
