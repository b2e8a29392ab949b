import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { map, NEVER, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, NonRetryableError, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

// README, "shutdown": the report tells what happened, a second call can escalate, and after the
// stop the manager refuses with typed answers.

describe('shutdown tells the truth', () => {
  it.each([
    ['its last attempt fails', { maxRetries: 0 }, (ms: number, s: Parameters<typeof virtualPromise>[2]) => virtualPromise(ms, 'x', s, true)],
    ['it throws a NonRetryableError', { maxRetries: 3 }, (ms: number, s: Parameters<typeof virtualPromise>[2]) =>
      timer(ms, s).pipe(map(() => { throw new NonRetryableError(new Error('final')); }))],
  ])('a running task whose %s during a cancel-mode shutdown is Failed with its error, not listed as unfinished', async (_name, retry, handle) => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, retry, providers: [{ name: 'p', servers: ['s'], handle: () => handle(10, scheduler) }] });
      const outcomes: TaskOutcome[] = [];
      const submitted = m.submit({ provider: 'p', payload: 1, id: 'a' });
      if (isRight(submitted)) submitted.right.outcome$.subscribe((o) => outcomes.push(o));
      const report = m.shutdown({ mode: 'cancel', graceMs: 1_000 });
      flush();
      expect(outcomes).toMatchObject([{ _tag: 'Failed', attempts: 1 }]);
      expect(await report).toMatchObject({ failed: 1, cancelled: 0, unfinished: [] });
    });
  });

  it('a running task that would retry during a cancel-mode shutdown is Cancelled and listed for resubmission', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, retry: { maxRetries: 2 }, providers: [{ name: 'p', servers: ['s'], handle: () => virtualPromise(10, 'x', scheduler, true) }] });
      m.submit({ provider: 'p', payload: 1, id: 'a' });
      const report = m.shutdown({ mode: 'cancel', graceMs: 1_000 });
      flush();
      expect(await report).toMatchObject({ failed: 0, cancelled: 1, unfinished: [{ id: 'a' }] });
    });
  });

  it('a second shutdown({ mode: cancel, graceMs: 0 }) escalates a drain, and both calls get the one report', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => NEVER }] });
      for (const id of ['a', 'b', 'c']) m.submit({ provider: 'p', payload: 1, id });
      let doneAt = -1;
      const drain = m.shutdown();
      drain.then(() => (doneAt = scheduler.now()), () => undefined);
      scheduler.schedule(() => void m.shutdown({ mode: 'cancel', graceMs: 0 }), 50);
      flush();
      await Promise.resolve();
      const again = m.shutdown({ mode: 'cancel', graceMs: 0 });
      expect(again).toBe(drain);
      const report = await drain;
      expect(doneAt).toBe(50);
      expect(report).toMatchObject({ mode: 'cancel', cancelled: 3, succeeded: 0 });
      expect(report.unfinished.map((t) => t.id).sort()).toEqual(['a', 'b', 'c']);
    });
  });

  it.each([0, 1_000, 60_000])('a cancel (graceMs %i) after a drain cancels the delayed tasks too: each ends once, listed in unfinished', async (graceMs) => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10_000, 'ok', scheduler) }] });
      const outcomes: Record<string, TaskOutcome[]> = {};
      const submit = (id: string, extra: { delayMs?: number; runAt?: number }) => {
        const submitted = m.submit({ provider: 'p', payload: 1, id, ...extra });
        if (isRight(submitted)) submitted.right.outcome$.subscribe((o) => (outcomes[id] ??= []).push(o));
      };
      submit('later', { delayMs: 5_000 });
      submit('at', { runAt: 8_000 });
      const drain = m.shutdown();
      scheduler.schedule(() => void m.shutdown({ mode: 'cancel', graceMs }), 50);
      flush();
      const report = await drain;
      expect(outcomes).toMatchObject({ later: [{ _tag: 'Cancelled' }], at: [{ _tag: 'Cancelled' }] });
      expect(report).toMatchObject({ mode: 'cancel', cancelled: 2, succeeded: 0 });
      expect(report.unfinished.map((t) => t.id).sort()).toEqual(['at', 'later']);
    });
  });

  it('a second shutdown with a shorter grace period ends the first one\'s sooner', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => NEVER }] });
      m.submit({ provider: 'p', payload: 1 });
      let doneAt = -1;
      m.shutdown({ mode: 'cancel', graceMs: 10_000 }).then(() => (doneAt = scheduler.now()), () => undefined);
      scheduler.schedule(() => void m.shutdown({ mode: 'cancel', graceMs: 100 }), 20);
      flush();
      await Promise.resolve();
      await Promise.resolve();
      expect(doneAt).toBe(120);
    });
  });

  it('after the stop: updateProviderServers and addProvider refuse as ShuttingDown, the last snapshot is frozen', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(5, 1, scheduler) }] });
      const report = m.shutdown();
      flush();
      await report;
      const update = m.updateProviderServers('p', ['t']);
      expect(isLeft(update) && update.left).toEqual({ _tag: 'ShuttingDown' });
      const add = m.addProvider({ name: 'q', servers: ['s'], handle: () => 1 });
      expect(isLeft(add) && add.left).toEqual({ _tag: 'ShuttingDown' });
      const stats = m.stats();
      expect(Object.isFrozen(stats) && Object.isFrozen(stats.servers) && Object.isFrozen(stats.servers['s'])).toBe(true);
      expect(Object.keys(stats.servers)).toEqual(['s']);
    });
  });

  it('cancel(id) of a task that a cancel-mode shutdown already cancelled answers NotFound', () => {
    inVirtualTime((scheduler, flush) => {
      // A timed-out attempt that ignores its signal keeps the task registered while it waits out
      // its backoff: that is the task the shutdown cancels "while waiting".
      const m = createTaskManager({
        scheduler,
        timeout: 10,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 100, maxDelayMs: 100, jitter: 'none' } },
        providers: [{ name: 'p', servers: ['s'], handle: () => new Promise<never>(() => undefined) }],
      });
      m.submit({ provider: 'p', payload: 1, id: 'waiting' });
      let answer: unknown;
      scheduler.schedule(() => {
        void m.shutdown({ mode: 'cancel', graceMs: 1_000 });
        answer = m.cancel('waiting');
      }, 20);
      flush();
      expect(answer).toEqual({ _tag: 'NotFound' });
    });
  });
});
