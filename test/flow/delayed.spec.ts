import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskEvent, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

const brief = (events: TaskEvent[]): string[] => events.map((e) => `${e.id} ${e.type}@${e.at}`);

describe('delayed tasks: submit({ delayMs | runAt }) (virtual time)', () => {
  it('should hold a task off its queue until due, with no slot and no timer of its own, then queue it like a new one', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'later', delayMs: 50 });
      m.submit({ provider: 'p', payload: 0, id: 'at', runAt: 55 });
      m.submit({ provider: 'p', payload: 0, id: 'now' });
      expect(m.stats().providers['p']).toMatchObject({ delayed: 2, queued: 0, running: 1 });
      expect(m.stats().servers['s']).toMatchObject({ inUse: 1 });
      flush();
      expect(brief(events)).toEqual([
        'later queued@0',
        'at queued@0',
        'now queued@0',
        'now started@0',
        'now succeeded@10',
        'later started@50',
        'at waiting-for-slot@55',
        'later succeeded@60',
        'at started@60',
        'at succeeded@70',
      ]);
    });
  });

  it('should cancel, clear and re-prioritise a delayed task like a queued one, and run a due time past at once', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }] });
      const outcomes: TaskOutcome[] = [];
      const submit = (id: string, extra: object) => {
        const r = m.submit({ provider: 'p', payload: 0, id, ...extra });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      };
      submit('x', { delayMs: 20 });
      submit('y', { delayMs: 5 });
      submit('z', { delayMs: 5 });
      submit('past', { runAt: -5 });
      expect(m.cancel('x')).toEqual({ _tag: 'RemovedFromQueue' });
      expect(isRight(m.setPriority('z', 9))).toBe(true); // due with y at 5 while 'past' runs: it goes first
      flush();
      expect(outcomes.map((o) => `${o.id}:${o._tag}@${o.elapsedMs}`)).toEqual(['x:Cancelled@0', 'past:Succeeded@10', 'z:Succeeded@20', 'y:Succeeded@30']);
      submit('w', { delayMs: 100 });
      expect(m.clear('p')).toEqual({ _tag: 'Right', right: { provider: 'p', cancelled: ['w'] } });
      expect(m.stats().providers['p']).toMatchObject({ delayed: 0 });
    });
  });

  it('should report delayed tasks at a cancel shutdown (unfinished, with their runAt) and leave no timer', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
      m.submit({ provider: 'p', payload: 'x', id: 'd', delayMs: 1000 });
      const report = m.shutdown({ mode: 'cancel' });
      flush();
      expect((await report).unfinished).toEqual([{ provider: 'p', payload: 'x', id: 'd', priority: 0, maxRetries: 0, runAt: 1000 }]);
    });
  });

  it('should refuse a bad delay, naming the field', () => {
    inVirtualTime((scheduler) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
      for (const [input, field] of [[{ delayMs: -1 }, 'delayMs'], [{ delayMs: Infinity }, 'delayMs'], [{ runAt: Number.NaN }, 'runAt'], [{ runAt: 5, delayMs: 5 }, 'runAt']] as const) {
        const r = m.submit({ provider: 'p', payload: 0, ...input });
        expect(isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidTask', field });
      }
    });
  });
});
