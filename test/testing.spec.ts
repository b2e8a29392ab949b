import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createTaskManager } from '../src/index.js';
import { virtualPromise, virtualWork } from '../src/testing/index.js';

describe('smt-rx/testing', () => {
  it('should run the README example: a manager in virtual time', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ flush }) => {
      const manager = createTaskManager({
        scheduler,
        retry: { maxRetries: 2, backoff: { jitter: 'none' } },
        providers: [{ name: 'p', servers: ['s'], handle: () => virtualWork(250, 'ok', scheduler) }],
      });
      const events: string[] = [];
      manager.events$.subscribe((e) => events.push(`${e.at} ${e.type}`));
      manager.submit({ provider: 'p', payload: 1 });
      flush();
      expect(events).toEqual(['0 queued', '0 started', '250 succeeded']);
    });
  });

  it('should settle virtualPromise at its virtual time, resolving or rejecting', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ flush }) => {
      const seen: string[] = [];
      virtualPromise(30, 'v', scheduler).then((v) => seen.push(`${scheduler.now()} ok ${v}`));
      virtualPromise(10, 'e', scheduler, { reject: true }).then(undefined, (e) => seen.push(`${scheduler.now()} err ${String(e)}`));
      flush();
      expect(seen).toEqual(['10 err e', '30 ok v']);
    });
  });

  it('should cancel virtualWork when unsubscribed', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ expectObservable }) => {
      expectObservable(virtualWork(5, 'x', scheduler), '--!').toBe('');
      expectObservable(virtualWork(5, 'x', scheduler)).toBe('-----(x|)');
    });
  });
});
