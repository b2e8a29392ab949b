import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { TestScheduler } from 'rxjs/testing';
import { createTaskManager, type TaskEvent, type TaskManager, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

/** Two providers over one server of limit 1, each task taking 10 ms, and every event recorded. */
function sharingOneServer(scheduler: TestScheduler): { m: TaskManager; events: TaskEvent[] } {
  const m = createTaskManager({
    scheduler,
    providers: [
      { name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) },
      { name: 'q', servers: ['s'], handle: () => work(10, 'ok', scheduler) },
    ],
  });
  const events: TaskEvent[] = [];
  m.events$.subscribe((e) => events.push(e));
  return { m, events };
}

const startsOf = (events: TaskEvent[]): string[] => events.filter((e) => e.type === 'started').map((e) => `${e.id}@${e.at}`);

describe('setPriority(id, priority)', () => {
  it('should move a queued task to the end of its new level (FIFO among equals) and refuse typed otherwise', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      for (const [id, priority] of [['run', 0], ['a', 5], ['b', 5], ['c', 1]] as const) m.submit({ provider: 'p', payload: 0, id, priority });
      m.submit({ provider: 'p', payload: 0 }); // a generated id: task-4, priority 0
      expect(isRight(m.setPriority('c', 5))).toBe(true);
      expect(isRight(m.setPriority('task-4', 7))).toBe(true);
      expect(m.setPriority('run', 9)).toEqual({ _tag: 'Left', left: { _tag: 'NotQueued', id: 'run' } });
      expect(m.setPriority('ghost', 9)).toEqual({ _tag: 'Left', left: { _tag: 'NotFound', id: 'ghost' } });
      expect(m.setPriority('a', Number.NaN)).toMatchObject({ _tag: 'Left', left: { _tag: 'InvalidPriority' } });
      expect(m.cancel('task-4')).toEqual({ _tag: 'RemovedFromQueue' }); // still found by its id after the move
      flush();
      expect(startsOf(events)).toEqual(['run@0', 'a@10', 'b@20', 'c@30']);
      expect(m.setPriority('a', 1)).toEqual({ _tag: 'Left', left: { _tag: 'NotFound', id: 'a' } });
    });
  });
});

describe('setPriority across providers sharing a server', () => {
  it("should re-rank a provider's head that moved, so a freed slot goes to the best task of any provider", () => {
    inVirtualTime((scheduler, flush) => {
      const { m, events } = sharingOneServer(scheduler);
      m.submit({ provider: 'p', payload: 0, id: 'run' });
      m.submit({ provider: 'p', payload: 0, id: 'p-head', priority: 5 });
      m.submit({ provider: 'q', payload: 0, id: 'q-head', priority: 3 });
      expect(isRight(m.setPriority('p-head', 1))).toBe(true); // the only task of p's queue, now below q's
      flush();
      expect(startsOf(events)).toEqual(['run@0', 'q-head@10', 'p-head@20']);
    });
  });
});

describe('pause(provider) / resume(provider)', () => {
  it('should stop new starts of that provider only, let its running work finish, give its slots to others, and restart on resume', () => {
    inVirtualTime((scheduler, flush) => {
      const { m, events } = sharingOneServer(scheduler);
      m.submit({ provider: 'p', payload: 0, id: 'p1', priority: 9 });
      m.submit({ provider: 'p', payload: 0, id: 'p2', priority: 9 });
      m.submit({ provider: 'q', payload: 0, id: 'q1' });
      expect(isRight(m.pause('p'))).toBe(true);
      expect(m.stats().providers['p']).toMatchObject({ paused: true, running: 1, queued: 1 });
      scheduler.schedule(() => void m.resume('p'), 35);
      flush();
      // p1 runs on; q1 (lower priority) gets the slot p2 would have had; p2 starts at the resume.
      expect(startsOf(events)).toEqual(['p1@0', 'q1@10', 'p2@35']);
      expect(m.stats().providers['p']).toMatchObject({ paused: false, succeeded: 2 });
      expect(m.pause('nope')).toEqual({ _tag: 'Left', left: { _tag: 'UnknownProvider', provider: 'nope' } });
    });
  });

  it('should resume paused providers when a drain shutdown starts (a drain runs what is queued)', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      m.pause('p');
      m.submit({ provider: 'p', payload: 0 });
      const report = m.shutdown();
      expect(m.pause('p')).toEqual({ _tag: 'Left', left: { _tag: 'ShuttingDown' } });
      flush();
      expect(await report).toMatchObject({ succeeded: 1, cancelled: 0 });
    });
  });
});

describe('clear(provider)', () => {
  it('should cancel everything queued of that provider (reason clear), best first, and leave running work and other providers alone', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [
          { name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) },
          { name: 'q', servers: ['t'], handle: () => work(10, 'ok', scheduler) },
        ],
      });
      const outcomes: TaskOutcome[] = [];
      for (const [provider, id, priority] of [['p', 'run', 0], ['p', 'low', 1], ['p', 'high', 5], ['q', 'other', 0], ['q', 'other2', 0]] as const) {
        const r = m.submit({ provider, payload: 0, id, priority });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      }
      const c = m.command('p', () => 'cmd', { id: 'cmd' });
      expect(isRight(c)).toBe(true);
      expect(m.clear('p')).toEqual({ _tag: 'Right', right: { provider: 'p', cancelled: ['cmd', 'high', 'low'] } });
      expect(outcomes.filter((o) => o._tag === 'Cancelled').map((o) => o._tag === 'Cancelled' && `${o.id}:${o.reason}`)).toEqual(['high:clear', 'low:clear']);
      m.submit({ provider: 'p', payload: 0, id: 'after' }); // the provider stays usable
      flush();
      expect(outcomes.filter((o) => o._tag === 'Succeeded').map((o) => o.id).sort()).toEqual(['other', 'other2', 'run']);
      expect(m.stats().providers['p']).toMatchObject({ queued: 0, succeeded: 2, cancelled: 3 });
      expect(isLeft(m.clear('nope'))).toBe(true);
    });
  });
});
