import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskEvent, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

describe('submit({ signal })', () => {
  it('should refuse a task whose signal is already aborted, with the reason, and no events', () => {
    inVirtualTime((scheduler) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      const r = m.submit({ provider: 'p', payload: 0, signal: AbortSignal.abort('too late') });
      expect(isLeft(r) && r.left).toEqual({ _tag: 'Aborted', reason: 'too late' });
      expect(events).toEqual([]);
    });
  });

  it('should refuse a signal that is not an AbortSignal, naming the field', () => {
    inVirtualTime((scheduler) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
      const r = m.submit({ provider: 'p', payload: 0, signal: { aborted: 'no' } as unknown as AbortSignal });
      expect(isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidTask', field: 'signal' });
    });
  });

  it('should cancel queued, running and waiting tasks sharing one signal: reason abort, abortReason on the outcome and ctx.signal.reason', () => {
    inVirtualTime((scheduler, flush) => {
      const signals: AbortSignal[] = [];
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 100, jitter: 'none' } },
        providers: [
          {
            name: 'p',
            servers: ['s'],
            handle: (t, ctx) => {
              signals.push(ctx.signal);
              if (t.payload === 'fail') throw new Error('fails at once');
              return work(100, 'done', scheduler);
            },
          },
        ],
      });
      const controller = new AbortController();
      const outcomes = new Map<string, TaskOutcome>();
      for (const [id, payload] of [['waiting', 'fail'], ['running', 'ok'], ['queued', 'ok']] as const) {
        const r = m.submit({ provider: 'p', payload, id, signal: controller.signal });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.set(id, o));
      }
      // waiting: failed at 0, backoff until 100; running: started at 0; queued behind it.
      scheduler.schedule(() => controller.abort('user left'), 50);
      flush();
      expect([...outcomes.values()].map((o) => o._tag === 'Cancelled' && [o.id, o.reason, o.abortReason, o.elapsedMs])).toEqual([
        ['waiting', 'abort', 'user left', 50],
        ['running', 'abort', 'user left', 50],
        ['queued', 'abort', 'user left', 50],
      ]);
      expect(signals[1]?.aborted).toBe(true);
      expect(signals[1]?.reason).toBe('user left');
      expect(m.stats().providers['p']).toMatchObject({ queued: 0, waiting: 0, running: 0, cancelled: 3 });
    });
  });

  it('should stop listening once the task has its outcome (a later abort changes nothing)', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      const controller = new AbortController();
      let removed = 0;
      const remove = controller.signal.removeEventListener.bind(controller.signal);
      controller.signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>) => {
        removed++;
        remove(...args);
      };
      const r = m.submit({ provider: 'p', payload: 0, id: 'a', signal: controller.signal });
      const outcomes: TaskOutcome[] = [];
      if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      flush();
      expect(removed).toBe(1);
      controller.abort();
      expect(outcomes.map((o) => o._tag)).toEqual(['Succeeded']);
    });
  });

  it('should apply an abort fired from an events$ subscriber as a transition of its own', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      const controller = new AbortController();
      const seen: string[] = [];
      m.events$.subscribe((e) => {
        seen.push(`${e.id} ${e.type}`);
        if (e.type === 'started' && e.id === 'a') controller.abort();
      });
      m.submit({ provider: 'p', payload: 0, id: 'a', signal: controller.signal });
      m.submit({ provider: 'p', payload: 0, id: 'b' });
      flush();
      // The abort inside a's submit is whole before b is submitted: b finds the slot free.
      expect(seen).toEqual(['a queued', 'a started', 'a cancelled', 'b queued', 'b started', 'b succeeded']);
    });
  });
});
