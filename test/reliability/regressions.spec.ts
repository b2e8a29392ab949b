import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';
import { CountingScheduler } from './model.js';

// Bugs the reliability suite found, each pinned by the smallest test that shows it.

describe('regressions found by the reliability suite', () => {
  // Found by the handler matrix: `attemptRun.ts` reads `result.then` and calls it outside any
  // try/catch, so the exception escapes the attempt's Observable into serverSlots, which errors the
  // whole provider pipeline ("provider pipeline failed"): the bad task only ends at its 60 s
  // timeout, and every other task of that provider waits forever.
  it.each([
    ['whose then() throws', () => ({ then() { throw new Error('bad thenable'); } })],
    ['whose then getter throws', () => ({ get then(): never { throw new Error('bad thenable'); } })],
  ])('should fail only the attempt when a handler returns a thenable %s, and keep the provider working', (_name, bad) => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [{ name: 'p', servers: ['s'], handle: (t) => (t.payload === 'bad' ? bad() : work(5, 'good', scheduler)) }],
      });
      const outcomes = new Map<string, [number, TaskOutcome]>();
      for (const id of ['bad', 'good']) {
        const r = m.submit({ provider: 'p', payload: id, id });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.set(id, [scheduler.now(), o]));
      }
      flush();
      expect(outcomes.get('bad')?.[0]).toBe(0);
      expect(outcomes.get('bad')?.[1]).toMatchObject({ _tag: 'Failed', attempts: 1, error: { message: 'bad thenable' } });
      expect(outcomes.get('good')).toEqual([5, expect.objectContaining({ _tag: 'Succeeded', value: 'good' })]);
      expect(m.stats().servers['s']?.inUse).toBe(0);
    });
  });

  // Found by the property model's "no scheduled action is left" check: `#statsChanged` books a
  // coalesced flush on the manager's scheduler and `#stop` never cancels it, so when the last task
  // ends with a stats$ subscriber the flush is still booked after shutdown() resolves (with the
  // default asyncScheduler, a timer outlives the manager; it then runs and finds no subscriber).
  it('should leave no action booked on the manager\'s scheduler once it has stopped, with stats$ subscribed', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const clock = new CountingScheduler(scheduler);
      const m = createTaskManager({ scheduler: clock, providers: [{ name: 'p', servers: ['s'], handle: () => work(5, 1, scheduler) }] });
      const snapshots: number[] = [];
      m.stats$.subscribe(() => snapshots.push(scheduler.now()));
      let bookedAtStop = -1;
      m.events$.subscribe({ complete: () => (bookedAtStop = clock.pending.size) });
      m.submit({ provider: 'p', payload: 1 });
      const report = m.shutdown();
      flush();
      expect(await report).toMatchObject({ succeeded: 1 });
      expect(bookedAtStop).toBe(0);
      expect(clock.pending.size).toBe(0);
    });
  });
});
