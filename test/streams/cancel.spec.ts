import { isRight } from 'fp-ts/lib/Either.js';
import { Observable, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, isTaskCancelledError, type CancelResult, type TaskEvent, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

describe('cancel', () => {
  it('should remove a queued task: RemovedFromQueue, one Cancelled outcome, never started', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => { calls++; return work(10, 1, scheduler); } }] });
      m.submit({ provider: 'p', payload: 0, id: 'busy' });
      const r = m.submit({ provider: 'p', payload: 0, id: 'queued' });
      const outcomes: TaskOutcome[] = [];
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      expect(m.stats().providers['p']?.queued).toBe(1);
      expect(m.cancel('queued')).toEqual({ _tag: 'RemovedFromQueue' });
      expect(m.stats().providers['p']).toMatchObject({ queued: 0, cancelled: 1 });
      expect(m.stats().servers['s']).toEqual({ limit: 1, inUse: 1, waiters: 0 });
      flush();
      expect(calls).toBe(1);
      expect(outcomes).toEqual([{ _tag: 'Cancelled', id: 'queued', reason: 'cancel', attempts: 0, elapsedMs: 0 }]);
      expect(m.cancel('queued')).toEqual({ _tag: 'NotFound' }); // finished: the id is free again
      // Its handle still names it: a second cancel repeats what the first found.
      if (isRight(r)) expect(r.right.cancel()).toEqual({ _tag: 'RemovedFromQueue' });
    });
  });

  it('should interrupt a running Observable handler: signal aborted, slot freed at once, never succeeds', () => {
    inVirtualTime((scheduler, flush) => {
      let signal: AbortSignal | undefined;
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 3 },
        providers: [{ name: 'p', servers: ['s'], handle: (t, ctx) => { if (t.id === 't') signal = ctx.signal; return work(100, 'done', scheduler); } }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      const r = m.submit({ provider: 'p', payload: 0, id: 't' });
      m.submit({ provider: 'p', payload: 0, id: 'next' });
      const outcomes: TaskOutcome[] = [];
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      scheduler.schedule(() => {
        expect(m.cancel('t')).toEqual({ _tag: 'InterruptedRunning', server: 's' });
        if (isRight(r)) expect(r.right.cancel()).toEqual({ _tag: 'InterruptedRunning', server: 's' }); // same result again
      }, 30);
      flush();
      expect(signal?.aborted).toBe(true);
      expect(isTaskCancelledError(signal?.reason)).toBe(true);
      expect(outcomes).toEqual([{ _tag: 'Cancelled', id: 't', reason: 'cancel', attempts: 1, elapsedMs: 30 }]);
      expect(events.filter((e) => e.id === 't' && ['succeeded', 'failed', 'cancelled', 'retrying'].includes(e.type)).map((e) => e.type)).toEqual(['cancelled']);
      expect(events.find((e) => e.type === 'started' && e.id === 'next')?.at).toBe(30);
    });
  });

  it('should keep the slot of a cancelled Promise handler until it settles, and ignore its result', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        abandonAfterMs: 10_000,
        providers: [{ name: 'p', servers: ['s'], handle: () => virtualPromise(200, 'ignored', scheduler) }],
      });
      const outcomes: TaskOutcome[] = [];
      const r = m.submit({ provider: 'p', payload: 0, id: 't' });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      const inUse: number[] = [];
      const results: CancelResult[] = [];
      scheduler.schedule(() => results.push(m.cancel('t')), 50);
      // A second cancel while its slot is held repeats what the first found.
      scheduler.schedule(() => results.push(m.cancel('t')), 60);
      scheduler.schedule(() => inUse.push(m.stats().servers['s']?.inUse ?? -1), 100);
      scheduler.schedule(() => inUse.push(m.stats().servers['s']?.inUse ?? -1), 200);
      scheduler.schedule(() => {
        // The id stays reserved until the orphan settles, then is free.
        expect(m.submit({ provider: 'p', payload: 0, id: 't' })._tag).toBe('Left');
      }, 150);
      flush();
      expect(inUse).toEqual([1, 0]);
      expect(results).toEqual([
        { _tag: 'InterruptedRunning', server: 's' },
        { _tag: 'InterruptedRunning', server: 's' },
      ]);
      expect(outcomes.map((o) => o._tag)).toEqual(['Cancelled']);
      expect(m.submit({ provider: 'p', payload: 0, id: 't' })._tag).toBe('Right');
    });
  });

  it('should cancel a task waiting out a retry backoff: CancelledWhileWaiting, no further attempt', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 5, backoff: { initialDelayMs: 100, jitter: 'none' } },
        providers: [{ name: 'p', servers: ['s'], handle: () => { calls++; return throwError(() => new Error('x')); } }],
      });
      const outcomes: TaskOutcome[] = [];
      const r = m.submit({ provider: 'p', payload: 0, id: 't' });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      expect(m.stats().providers['p']?.waiting).toBe(1);
      expect(m.cancel('t')).toEqual({ _tag: 'CancelledWhileWaiting' });
      if (isRight(r)) expect(r.right.cancel()).toEqual({ _tag: 'CancelledWhileWaiting' });
      expect(m.stats().providers['p']).toMatchObject({ waiting: 0, cancelled: 1 });
      flush();
      expect(calls).toBe(1);
      expect(outcomes).toEqual([{ _tag: 'Cancelled', id: 't', reason: 'cancel', attempts: 1, elapsedMs: 0 }]);
      expect(scheduler.now()).toBe(0); // no backoff timer left behind
    });
  });

  it('should answer NotFound for unknown ids and ShutDown after shutdown', async () => {
    const m = createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
    expect(m.cancel('nobody')).toEqual({ _tag: 'NotFound' });
    await m.shutdown();
    expect(m.cancel('nobody')).toEqual({ _tag: 'ShutDown' });
  });

  it('should let a handler cancel its own task synchronously', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (t) => {
            m.cancel(t.id);
            return new Observable(() => { throw new Error('must not be subscribed'); });
          },
        }],
      });
      const outcomes: TaskOutcome[] = [];
      const r = m.submit({ provider: 'p', payload: 0, id: 'self' });
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      flush();
      expect(outcomes.map((o) => o._tag)).toEqual(['Cancelled']);
      expect(m.stats().servers['s']?.inUse).toBe(0);
    });
  });

  it('should cost the same per cancel whatever the queue length (no scan)', () => {
    // Not a timing test: it checks that cancelling leaves the queue consistent at scale, in any order.
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(1, 1, scheduler) }] });
      const ids: string[] = [];
      for (let i = 0; i < 5000; i++) {
        const r = m.submit({ provider: 'p', payload: i, priority: i % 7 });
        if (isRight(r)) ids.push(r.right.id);
      }
      const cancelled = new Set(ids.filter((_, i) => i % 3 === 0 && i > 0));
      for (const id of cancelled) expect(m.cancel(id)._tag).toBe('RemovedFromQueue');
      const started: string[] = [];
      m.events$.subscribe((e) => e.type === 'started' && started.push(e.id));
      flush();
      expect(started.some((id) => cancelled.has(id))).toBe(false);
      expect(started.length + cancelled.size + 1).toBe(5000);
      expect(m.stats().providers['p']).toMatchObject({ succeeded: 5000 - cancelled.size, cancelled: cancelled.size, queued: 0 });
    });
  });
});
