import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type Task, type TaskEvent } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';
import type { TestScheduler } from 'rxjs/testing';

// Providers created with the same pool share one queue and one pipeline (a thousand providers
// then cost what one does). What a user sees must not change: the order across providers, each
// provider's own counts and bounds, and what a pause or a pool change does to one of them alone.

function twoProviders(scheduler: TestScheduler, extra: { maxQueuedA?: number } = {}) {
  const handle = (task: Task) => work(10, task.payload, scheduler);
  const m = createTaskManager({
    scheduler,
    defaultServerLimit: 1,
    providers: [
      { name: 'a', servers: ['s', 't'], handle, ...(extra.maxQueuedA === undefined ? {} : { maxQueued: extra.maxQueuedA }) },
      { name: 'b', servers: ['s', 't'], handle },
    ],
  });
  const starts: string[] = [];
  m.events$.subscribe((e: TaskEvent) => {
    if (e.type === 'started') starts.push(`${e.id}@${e.at}${e.server === 's' ? '' : e.server}`);
  });
  return { m, starts };
}

const submit = (m: ReturnType<typeof twoProviders>['m'], provider: 'a' | 'b', id: string, priority = 0) =>
  expect(isRight(m.submit({ provider, payload: id, id, priority }))).toBe(true);

describe('providers with the same pool', () => {
  it('should serve their tasks as one queue: commands, then priority, then submission order across providers', () => {
    inVirtualTime((scheduler, flush) => {
      const { m, starts } = twoProviders(scheduler);
      submit(m, 'a', 'run-s');
      submit(m, 'b', 'run-t');
      submit(m, 'a', 'a-low', 1);
      submit(m, 'b', 'b-high', 5);
      submit(m, 'a', 'a-high', 5);
      expect(isRight(m.command('b', () => work(10, 'c', scheduler), { id: 'cmd' }))).toBe(true);
      submit(m, 'b', 'b-low', 1);
      flush();
      expect(starts).toEqual(['run-s@0', 'run-t@0t', 'cmd@10', 'b-high@10t', 'a-high@20', 'a-low@20t', 'b-low@30']);
    });
  });

  it("should count each provider's own queued tasks in stats and against its maxQueued", () => {
    inVirtualTime((scheduler, flush) => {
      const { m } = twoProviders(scheduler, { maxQueuedA: 1 });
      submit(m, 'b', 'b1');
      submit(m, 'b', 'b2');
      submit(m, 'b', 'b3');
      submit(m, 'b', 'b4');
      submit(m, 'a', 'a1');
      const full = m.submit({ provider: 'a', payload: 'a2', id: 'a2' });
      expect(isLeft(full) && full.left).toEqual({ _tag: 'QueueFull', provider: 'a', maxQueued: 1 });
      const stats = m.stats();
      expect(stats.providers.a).toMatchObject({ queued: 1, running: 0 });
      expect(stats.providers.b).toMatchObject({ queued: 2, running: 2 });
      expect(stats.servers['s/']?.waiters ?? stats.servers.s?.waiters).toBe(3);
      flush();
      expect(m.stats().providers.a).toMatchObject({ queued: 0, succeeded: 1 });
      expect(m.stats().providers.b).toMatchObject({ queued: 0, succeeded: 4 });
    });
  });

  it('should hold only the paused provider: the other runs on, and on resume the held tasks rank with the rest', () => {
    inVirtualTime((scheduler, flush) => {
      const { m, starts } = twoProviders(scheduler);
      submit(m, 'b', 'run-s');
      submit(m, 'b', 'run-t');
      submit(m, 'a', 'a1', 5);
      submit(m, 'a', 'a2', 5);
      submit(m, 'b', 'b1');
      submit(m, 'b', 'b2');
      submit(m, 'b', 'b3');
      expect(isRight(m.pause('a'))).toBe(true);
      expect(m.stats().providers.a).toMatchObject({ queued: 2, paused: true });
      expect(m.stats().providers.b).toMatchObject({ queued: 3, paused: false });
      scheduler.schedule(() => {
        m.resume('a');
      }, 15);
      flush();
      // a1 and a2 wait while a is paused (b1, b2 take the slots at 10); on resume they outrank b3.
      expect(starts).toEqual(['run-s@0', 'run-t@0t', 'b1@10', 'b2@10t', 'a1@20', 'a2@20t', 'b3@30']);
    });
  });

  it('should take a provider whose pool changes to its new pool with its queued tasks in order, and leave the other where it was', () => {
    inVirtualTime((scheduler, flush) => {
      const { m, starts } = twoProviders(scheduler);
      submit(m, 'b', 'run-s');
      submit(m, 'b', 'run-t');
      submit(m, 'a', 'a1');
      submit(m, 'b', 'b1');
      submit(m, 'a', 'a2', 3);
      submit(m, 'b', 'b2');
      expect(isRight(m.updateProviderServers('a', ['u']))).toBe(true);
      flush();
      // a's tasks run on u, best first; b's keep their order on s and t.
      expect(starts).toEqual(['run-s@0', 'run-t@0t', 'a2@0u', 'b1@10', 'b2@10t', 'a1@10u']);
      expect(m.stats().providers.a).toMatchObject({ queued: 0, succeeded: 2 });
    });
  });

  it('should drain the tasks of every provider of a shared pipeline before it closes', async () => {
    const { report, starts } = inVirtualTime((scheduler, flush) => {
      const { m, starts } = twoProviders(scheduler);
      for (const id of ['a1', 'a2', 'a3']) submit(m, 'a', id);
      for (const id of ['b1', 'b2', 'b3']) submit(m, 'b', id);
      const report = m.shutdown({ mode: 'drain' });
      flush();
      return { report, starts };
    });
    await expect(report).resolves.toMatchObject({ mode: 'drain', succeeded: 6, cancelled: 0, unfinished: [] });
    expect(starts).toEqual(['a1@0', 'a2@0t', 'a3@10', 'b1@10t', 'b2@20', 'b3@20t']);
  });
});
