import { spawnSync } from 'node:child_process';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskEvent, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

describe('shutdown', () => {
  it('should drain: run every queued task, refuse new ones, then complete every stream', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: (t) => work(10, t.payload, scheduler) }] });
      let eventsDone = false;
      let statsDone = false;
      m.events$.subscribe({ complete: () => (eventsDone = true) });
      m.stats$.subscribe({ complete: () => (statsDone = true) });
      for (let i = 0; i < 5; i++) m.submit({ provider: 'p', payload: i });
      const promise = m.shutdown({ mode: 'drain' });
      expect(m.submit({ provider: 'p', payload: 9 })).toEqual({ _tag: 'Left', left: { _tag: 'ShuttingDown' } });
      expect(m.command('p', () => 1)).toEqual({ _tag: 'Left', left: { _tag: 'ShuttingDown' } });
      flush();
      expect(scheduler.now()).toBe(50);
      expect(eventsDone).toBe(true);
      expect(statsDone).toBe(true);
      expect(await promise).toEqual({ mode: 'drain', succeeded: 5, failed: 0, cancelled: 0, unfinished: [], unfinishedCommands: [] });
      // Stats keep every budget after shutdown, with nothing in use.
      expect(m.stats().servers).toEqual({ s: { limit: 1, inUse: 0, waiters: 0 } });
      expect(m.stats().providers['p']).toMatchObject({ succeeded: 5, queued: 0, running: 0 });
    });
  });

  it('should cancel queued and waiting tasks at once, let running ones finish, and report the inputs to resubmit', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 3, backoff: { initialDelayMs: 1000, jitter: 'none' } },
        providers: [{ name: 'p', servers: ['s'], handle: (t) => (t.payload === 'fail' ? Promise.reject(new Error('x')) : work(100, t.payload, scheduler)) }],
      });
      const outcomes: TaskOutcome[] = [];
      const track = (r: ReturnType<typeof m.submit>) => isRight(r) && r.right.outcome$.subscribe((o) => outcomes.push(o));
      track(m.submit({ provider: 'p', payload: 'running', id: 'running' }));
      track(m.submit({ provider: 'p', payload: 'queued', id: 'queued', priority: 4, maxRetries: 1 }));
      const promise = m.shutdown({ mode: 'cancel' });
      expect(m.shutdown({ mode: 'drain' })).toBe(promise); // idempotent: the same promise
      flush();
      const report = await promise;
      expect(outcomes.map((o) => [o.id, o._tag])).toEqual([
        ['queued', 'Cancelled'],
        ['running', 'Succeeded'],
      ]);
      expect(outcomes[0]).toMatchObject({ reason: 'shutdown' });
      expect(report).toEqual({
        mode: 'cancel',
        succeeded: 1,
        failed: 0,
        cancelled: 1,
        unfinished: [{ provider: 'p', payload: 'queued', id: 'queued', priority: 4, maxRetries: 1 }],
        unfinishedCommands: [],
      });
    });
  });

  it('should abort running attempts when the grace period ends, and still resolve', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      let signal: AbortSignal | undefined;
      const m = createTaskManager({
        scheduler,
        timeout: Infinity,
        providers: [{ name: 'p', servers: ['s'], handle: (_t, ctx) => { signal = ctx.signal; return virtualPromise(1_000_000, 1, scheduler); } }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'slow' });
      const promise = m.shutdown({ mode: 'cancel', graceMs: 500 });
      flush();
      const report = await promise;
      expect(signal?.aborted).toBe(true);
      expect(events.filter((e) => e.type === 'cancelled' || e.type === 'abandoned').map((e) => [e.type, e.at])).toEqual([
        ['cancelled', 500],
        ['abandoned', 500],
      ]);
      expect(report.unfinished.map((t) => t.id)).toEqual(['slow']);
      expect(report.cancelled).toBe(1);
    });
  });

  it('should drain with a grace period: what is still queued at the end is cancelled and reported', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(100, 1, scheduler) }] });
      for (let i = 0; i < 5; i++) m.submit({ provider: 'p', payload: i, id: `t${i}` });
      m.command('p', () => work(10, 'cmd', scheduler), { id: 'late-command' });
      const promise = m.shutdown({ mode: 'drain', graceMs: 250 });
      flush();
      const report = await promise;
      expect(report.mode).toBe('drain'); // the mode asked for, even though the grace period ran out
      expect(report.succeeded).toBe(3); // t0, the command, t1
      // t2 was running at 250 ms: aborted, and reported with the queued ones.
      expect(report.unfinished.map((t) => t.id)).toEqual(['t2', 't3', 't4']);
      expect(report.unfinishedCommands).toEqual([]);
      expect(scheduler.now()).toBe(250);
    });
  });

  it('should resolve at once with nothing live, and refuse invalid options', async () => {
    const m = createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
    await expect(m.shutdown({ mode: 'later' as 'drain' })).rejects.toThrow(/`mode`/);
    await expect(m.shutdown({ graceMs: -1 })).rejects.toThrow(/`graceMs`/);
    await expect(m.shutdown()).resolves.toEqual({ mode: 'drain', succeeded: 0, failed: 0, cancelled: 0, unfinished: [], unfinishedCommands: [] });
  });

  it('should leave nothing behind: a Node process that used the manager exits by itself', () => {
    const script = `
      import { createTaskManager } from './src/index.ts';
      const m = createTaskManager({
        retry: { maxRetries: 1, backoff: { initialDelayMs: 5 } },
        slotWait: { maxWaitMs: 60_000 },
        providers: [{ name: 'p', servers: ['a', 'b'], handle: (t, ctx) => new Promise((res, rej) => {
          const timer = setTimeout(() => (t.payload % 5 === 0 ? rej(new Error('x')) : res(t.payload)), 5);
          ctx.signal.addEventListener('abort', () => { clearTimeout(timer); rej(ctx.signal.reason); });
        }) }],
      });
      m.stats$.subscribe(() => {});
      m.events$.subscribe(() => {});
      for (let i = 0; i < 50; i++) m.submit({ provider: 'p', payload: i, priority: i % 3 });
      setTimeout(() => m.shutdown({ mode: 'cancel', graceMs: 1000 }).then((r) => console.log(JSON.stringify(r.succeeded + r.failed + r.cancelled))), 30);
    `;
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('50');
    expect(seconds).toBeLessThan(15); // exited by itself, not killed by the spawn timeout
  });
});
