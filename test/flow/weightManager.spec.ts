import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, localSlotCoordinator, type SlotCoordinator, type TaskEvent } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

describe('task weight in the manager (submit({ weight }))', () => {
  it('should start a heavy task once enough slots are free and hold them against lighter tasks of any provider', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        defaultServerLimit: 2,
        providers: [
          { name: 'light', servers: ['s'], handle: () => work(3, 'ok', scheduler) },
          { name: 'gpu', servers: ['s'], handle: () => work(4, 'ok', scheduler) },
        ],
      });
      const starts: string[] = [];
      const inUse: number[] = [];
      m.events$.subscribe((e: TaskEvent) => {
        if (e.type !== 'started') return;
        starts.push(`${e.id}@${e.at}`);
        inUse.push(m.stats().servers['s']!.inUse);
      });
      // A light task every 2 ms, each running 3 ms: one is always running, so a task of weight 2
      // that waited for two free slots at once would wait until the stream stops.
      for (const [i, at] of [0, 2, 4, 6, 8].entries()) scheduler.schedule(() => m.submit({ provider: 'light', payload: i, id: `l${i}` }), at);
      scheduler.schedule(() => m.submit({ provider: 'gpu', payload: 0, id: 'big', weight: 2 }), 1);
      flush();
      expect(starts).toEqual(['l0@0', 'big@3', 'l1@7', 'l2@7', 'l3@10', 'l4@10']);
      // stats count in-use by weight: 'big' alone fills the budget. (Events arrive once their
      // transition is whole: l1 and l2 start in one, as do l3 and l4.)
      expect(inUse).toEqual([1, 2, 2, 2, 2, 2]);
      expect(m.stats().providers['gpu']).toMatchObject({ succeeded: 1 });
    });
  });

  it('should refuse a weight above every server limit of the pool with TooHeavy, and a weight that is not a positive integer with InvalidTask', () => {
    const m = createTaskManager({
      serverLimits: { 'https://gpu-1.example.com': 4 },
      providers: [{ name: 'gpu', servers: ['https://gpu-1.example.com', 'https://gpu-2.example.com'], handle: () => 1 }],
    });
    const tooHeavy = m.submit({ provider: 'gpu', payload: 0, weight: 5 });
    expect(isLeft(tooHeavy) && tooHeavy.left).toEqual({ _tag: 'TooHeavy', provider: 'gpu', weight: 5, largestLimit: 4 });
    expect(isRight(m.submit({ provider: 'gpu', payload: 0, weight: 4 }))).toBe(true);
    for (const weight of [0, -2, 1.5, Number.NaN, Infinity, '2']) {
      const r = m.submit({ provider: 'gpu', payload: 0, weight: weight as number });
      expect(isLeft(r) && r.left._tag === 'InvalidTask' && r.left.field).toBe('weight');
    }
    void m.shutdown({ mode: 'cancel' });
  });

  it('should pass a task over while a limit lowered below its weight stays there (other providers go on, its own later tasks wait behind it), and run it once the limit is back', () => {
    inVirtualTime((scheduler, flush) => {
      const handle = (t: { payload: unknown }) => work(t.payload as number, 'ok', scheduler);
      const m = createTaskManager({
        scheduler,
        defaultServerLimit: 2,
        providers: [
          { name: 'p', servers: ['s'], handle },
          { name: 'q', servers: ['s'], handle },
        ],
      });
      const starts: string[] = [];
      m.events$.subscribe((e: TaskEvent) => e.type === 'started' && starts.push(`${e.id}@${e.at}`));
      m.submit({ provider: 'q', payload: 4, id: 'a' });
      m.submit({ provider: 'p', payload: 1, id: 'big', weight: 2 });
      m.submit({ provider: 'p', payload: 1, id: 'p2' });
      scheduler.schedule(() => m.setServerLimit('s', 1), 1);
      scheduler.schedule(() => m.submit({ provider: 'q', payload: 1, id: 'b' }), 2);
      scheduler.schedule(() => m.setServerLimit('s', 2), 10);
      flush();
      // Limit 1 from 1 to 10: 'big' can never fit, so it holds nothing and q's 'b' runs when 'a'
      // ends; p's 'p2' keeps its place behind 'big' (FIFO within a provider). At 10 'big' runs.
      expect(starts).toEqual(['a@0', 'b@4', 'big@10', 'p2@11']);
    });
  });

  it('should refuse a weight above 1 with InvalidTask on a coordinator that does not count weights, instead of counting it as 1', () => {
    const local = localSlotCoordinator({ defaultLimit: 4 });
    // A coordinator written before weights: it has no countsWeights and ignores the argument.
    const legacy: SlotCoordinator = {
      budgetOf: (key) => local.budgetOf(key),
      budget: (key) => local.budget(key),
      tryAcquire: (key) => local.tryAcquire(key),
      release: (key) => local.release(key),
      setLimit: (key, limit) => local.setLimit(key, limit),
      removeLimit: (key) => local.removeLimit(key),
      limits: () => local.limits(),
      changes$: local.changes$,
      close: () => local.close(),
    };
    const m = createTaskManager({ coordinator: legacy, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
    const r = m.submit({ provider: 'p', payload: 0, weight: 2 });
    expect(isLeft(r) && r.left._tag === 'InvalidTask' && r.left.field).toBe('weight');
    expect(isRight(m.submit({ provider: 'p', payload: 0, weight: 1 }))).toBe(true);
    void m.shutdown({ mode: 'cancel' });
  });
  // A budget held for a heavy head is held for that head only while it competes there: once its
  // provider is paused or its pool moves off the server, lighter tasks of others start at once.
  for (const release of ['pause', 'pool-moved'] as const) {
    it(`should free a budget held for a heavy head when its provider is ${release === 'pause' ? 'paused' : 'moved to other servers'}`, () => {
      inVirtualTime((scheduler, flush) => {
        const handle = (t: { payload: unknown }) => work(t.payload as number, 'ok', scheduler);
        const m = createTaskManager({
          scheduler,
          defaultServerLimit: 2,
          providers: [
            { name: 'light', servers: ['s'], handle },
            { name: 'gpu', servers: ['s'], handle },
          ],
        });
        const starts: string[] = [];
        m.events$.subscribe((e: TaskEvent) => e.type === 'started' && starts.push(`${e.id}@${e.at}`));
        m.submit({ provider: 'light', payload: 10, id: 'long' });
        m.submit({ provider: 'gpu', payload: 1, id: 'big', weight: 2 });
        m.submit({ provider: 'light', payload: 1, id: 'small' });
        scheduler.schedule(() => {
          if (release === 'pause') m.pause('gpu');
          else m.updateProviderServers('gpu', ['t']);
        }, 2);
        flush();
        // 'big' holds s against 'small' until 2; then 'small' fits beside 'long' (1 + 1 <= 2).
        expect(starts.slice(0, 2)).toEqual(['long@0', 'small@2']);
        if (release === 'pool-moved') expect(starts).toContain('big@2');
        void m.shutdown({ mode: 'cancel' });
        flush();
      });
    });
  }
});
