import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { TestScheduler } from 'rxjs/testing';
import { createTaskManager, type ShutdownReport, type Task, type TaskEvent, type TaskManagerOptions } from '../../src/index.js';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

const startOf = (events: TaskEvent[], id: string): number | undefined => events.find((e) => e.type === 'started' && e.id === id)?.at;

/**
 * One server of limit 1, 10 ms per task, and a steady stream: a task of priority `high` every
 * 10 ms from 0 to 1,000 (exactly what the server can run), on provider `q`; `p` shares the server.
 */
function steadyStream(scheduler: TestScheduler, high: number, options: Partial<TaskManagerOptions> = {}) {
  const m = createTaskManager({
    scheduler,
    providers: [
      { name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) },
      { name: 'q', servers: ['s'], handle: () => work(10, 'ok', scheduler) },
    ],
    ...options,
  });
  const events: TaskEvent[] = [];
  m.events$.subscribe((e) => events.push(e));
  for (let t = 0; t <= 1000; t += 10) scheduler.schedule(() => void m.submit({ provider: 'q', payload: 0, id: `h${t}`, priority: high }), t);
  return { m, events };
}

describe('agingMs (priority aging)', () => {
  it('should leave a low task behind a steady higher stream without aging', () => {
    inVirtualTime((scheduler, flush) => {
      const { m, events } = steadyStream(scheduler, 2);
      scheduler.schedule(() => void m.submit({ provider: 'q', payload: 0, id: 'low', priority: 0 }), 3);
      flush();
      // Only once the stream has ended (its last task starts at 1,000, ends at 1,010).
      expect(startOf(events, 'low')).toBe(1010);
    });
  });

  it('should start the low task within (high - low + 1) * agingMs plus one task of the stream', () => {
    for (const high of [1, 2, 5]) {
      for (const agingMs of [10, 25]) {
        inVirtualTime((scheduler, flush) => {
          const { m, events } = steadyStream(scheduler, high, { agingMs });
          scheduler.schedule(() => void m.submit({ provider: 'q', payload: 0, id: 'low', priority: 0 }), 3);
          flush();
          const waited = (startOf(events, 'low') ?? Infinity) - 3;
          expect(waited, `high ${high}, agingMs ${agingMs}`).toBeLessThanOrEqual((high + 1) * agingMs + 10);
          // It passed no task of the stream that was queued more than (high + 1) * agingMs after it.
          expect(waited).toBeGreaterThanOrEqual((high - 1) * agingMs);
        });
      }
    }
  });

  it('should rank across providers with one clock: the low task of another provider gets the shared server', () => {
    inVirtualTime((scheduler, flush) => {
      const { m, events } = steadyStream(scheduler, 2, { agingMs: 10 });
      scheduler.schedule(() => void m.submit({ provider: 'p', payload: 0, id: 'low', priority: 0 }), 3);
      flush();
      // low ranks 0 (step 0); h10 ranks 1 and goes first; h20 ranks 2 - 2 = 0 and arrived later:
      // low takes the slot freed at 20, h20 the next one.
      expect(startOf(events, 'low')).toBe(20);
      expect(startOf(events, 'h20')).toBe(30);
    });
  });

  it('should keep the levels a task has risen through setPriority, and show the priority given', () => {
    inVirtualTime((scheduler, flush) => {
      const seen: Task[] = [];
      const m = createTaskManager({
        scheduler,
        agingMs: 10,
        providers: [{ name: 'p', servers: ['s'], handle: (task) => (seen.push(task), work(100, 'ok', scheduler)) }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'busy' });
      m.submit({ provider: 'p', payload: 0, id: 'old', priority: 0 }); // step 0
      scheduler.schedule(() => {
        m.submit({ provider: 'p', payload: 0, id: 'new', priority: 3 }); // step 3: ranks 0
        expect(isRight(m.setPriority('old', 1))).toBe(true); // ranks 1 - 0 = 1: ahead of new
      }, 35);
      flush();
      expect([startOf(events, 'old'), startOf(events, 'new')]).toEqual([100, 200]);
      // What users see is the priority given, never the rank.
      expect(seen.map((task) => [task.id, task.priority])).toEqual([['busy', 0], ['old', 1], ['new', 3]]);
      expect(events.filter((e) => e.type === 'queued').map((e) => (e.type === 'queued' ? e.priority : undefined))).toEqual([0, 0, 3]);
    });
  });

  it('should age a delayed task from its due time, not from its submission', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, agingMs: 10, providers: [{ name: 'p', servers: ['s'], handle: () => work(100, 'ok', scheduler) }] });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'busy' });
      m.submit({ provider: 'p', payload: 0, id: 'delayed', priority: 1, delayMs: 40 }); // queued at 40, step 4: ranks -3
      scheduler.schedule(() => void m.submit({ provider: 'p', payload: 0, id: 'later', priority: 0 }), 20); // step 2: ranks -2
      flush();
      // Counted from its submission, `delayed` (priority 1, step 0) would have gone first.
      expect([startOf(events, 'later'), startOf(events, 'delayed')]).toEqual([100, 200]);
    });
  });

  it('should give back a fractional priority exactly (handler, events, shutdown report)', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const seen: number[] = [];
      const m = createTaskManager({ scheduler, agingMs: 7, providers: [{ name: 'p', servers: ['s'], handle: (task) => (seen.push(task.priority), work(100, 'ok', scheduler)) }] });
      scheduler.schedule(() => {
        m.submit({ provider: 'p', payload: 0, id: 'a', priority: 0.1 });
        m.submit({ provider: 'p', payload: 0, id: 'b', priority: 0.3 });
        m.setPriority('b', 0.7);
      }, 29);
      let report: Promise<ShutdownReport> | undefined;
      scheduler.schedule(() => void (report = m.shutdown({ mode: 'cancel' })), 50);
      flush();
      expect(seen).toEqual([0.1]);
      // b was still queued (a ran): step 4, so its rank is 0.7 - 4, which does not give 0.7 back.
      expect((await report)?.unfinished.map((input) => [input.id, input.priority])).toEqual([['b', 0.7]]);
    });
  });

  it('should drop by effective priority under drop-oldest: a task that waited outranks a fresh one of its priority', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        agingMs: 10,
        providers: [{ name: 'p', servers: ['s'], maxQueued: 2, overflow: 'drop-oldest', handle: () => work(100, 'ok', scheduler) }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'busy' });
      m.submit({ provider: 'p', payload: 0, id: 'waited', priority: 1 }); // rank 1
      scheduler.schedule(() => {
        m.submit({ provider: 'p', payload: 0, id: 'fresh', priority: 1 }); // rank 1 - 3 = -2: the lowest, queue now full
        // rank 2 - 3 = -1: above fresh, which is dropped.
        expect(isRight(m.submit({ provider: 'p', payload: 0, id: 'urgent', priority: 2 }))).toBe(true);
        // rank 1 - 3 = -2, below waited and urgent: refused.
        expect(m.submit({ provider: 'p', payload: 0, id: 'late', priority: 1 })).toEqual({ _tag: 'Left', left: { _tag: 'QueueFull', provider: 'p', maxQueued: 2 } });
      }, 30);
      flush();
      expect(events.filter((e) => e.type === 'cancelled').map((e) => (e.type === 'cancelled' ? [e.id, e.reason] : []))).toEqual([['fresh', 'overflow']]);
      expect([startOf(events, 'waited'), startOf(events, 'urgent')]).toEqual([100, 200]);
    });
  });

  it('should refuse a bad agingMs at creation, naming it', () => {
    for (const agingMs of [0, -5, Infinity, Number.NaN, '10']) {
      expect(() => createTaskManager({ providers: [], agingMs: agingMs as number })).toThrow(
        new InvalidOptionError('agingMs', 'a finite number above 0 (ms per priority level)', agingMs),
      );
    }
  });
});
