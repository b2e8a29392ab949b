import { isRight } from 'fp-ts/lib/Either.js';
import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type AttemptContext, type TaskEvent } from '../../src/index.js';
import { inVirtualTime } from '../helpers/virtual.js';
import type { TestScheduler } from 'rxjs/testing';

/** A handler that reports progress at the given virtual times, then succeeds at `endAt`. */
const reporting = (scheduler: TestScheduler, at: readonly number[], endAt: number) => (_t: unknown, ctx: AttemptContext) =>
  new Observable<string>((subscriber) => {
    const subs = at.map((t, i) => scheduler.schedule(() => ctx.progress(i), t));
    const end = scheduler.schedule(() => {
      ctx.progress('too late?');
      subscriber.next('ok');
      subscriber.complete();
      ctx.progress('after the result'); // ignored
    }, endAt);
    return () => {
      subs.forEach((s) => s.unsubscribe());
      end.unsubscribe();
    };
  });

const progressOf = (events: TaskEvent[]): string[] => events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? `${String(e.value)}@${e.at}` : ''));

describe('ctx.progress(value) (virtual time)', () => {
  it('should emit the first call at once, then at most one event per progressIntervalMs with the latest value', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        progressIntervalMs: 10,
        providers: [{ name: 'p', servers: ['s'], handle: reporting(scheduler, [1, 2, 3, 15, 40], 45) }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      const handleEvents: TaskEvent[] = [];
      const r = m.submit({ provider: 'p', payload: 0 });
      if (isRight(r)) r.right.events$.subscribe((e) => handleEvents.push(e));
      flush();
      // 0@1 leads; 1 and 2 fall in the gap [1, 11): 2 goes out at 11; 3@15 in the gap [11, 21): at 21; 4@40 leads again.
      // At 45 'too late?' falls in the gap [40, 50) and the result comes first: it is dropped.
      expect(progressOf(events)).toEqual(['0@1', '2@11', '3@21', '4@40']);
      expect(progressOf(handleEvents)).toEqual(progressOf(events));
      expect(events.at(-1)?.type).toBe('succeeded');
    });
  });

  it('should not flood: 100,000 calls in one go make two events', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [
          {
            name: 'p',
            servers: ['s'],
            handle: (_t, ctx) =>
              new Observable<number>((subscriber) => {
                for (let i = 1; i <= 100_000; i++) ctx.progress(i);
                scheduler.schedule(() => {
                  subscriber.next(1);
                  subscriber.complete();
                }, 500);
              }),
          },
        ],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0 });
      flush();
      expect(progressOf(events)).toEqual(['1@0', '100000@100']);
    });
  });

  it('should keep ctx a plain object for JSON (progress lives on its prototype)', () => {
    inVirtualTime((scheduler, flush) => {
      let json = '';
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: (_t, ctx) => (json = JSON.stringify(ctx)) }] });
      m.submit({ provider: 'p', payload: 0, id: 't' });
      flush();
      expect(JSON.parse(json)).toEqual({ taskId: 't', provider: 'p', server: 's', attempt: 1 });
    });
  });

  it('should keep each attempt\'s progress to itself: a retry leads at once, the failed attempt\'s kept value is dropped', () => {
    for (const retryDelay of [0, 5, 30]) {
      inVirtualTime((scheduler, flush) => {
        let attempts = 0;
        const m = createTaskManager({
          scheduler,
          progressIntervalMs: 20,
          retry: { maxRetries: 1, backoff: { initialDelayMs: retryDelay, maxDelayMs: retryDelay, jitter: 'none' } },
          providers: [{
            name: 'p',
            servers: ['s'],
            handle: (_t: unknown, ctx: AttemptContext) => new Observable<string>((subscriber) => {
              const attempt = ++attempts;
              ctx.progress(`a${attempt}-first`);
              const kept = scheduler.schedule(() => ctx.progress(`a${attempt}-kept`), 2);
              const end = scheduler.schedule(() => (attempt === 1 ? subscriber.error(new Error('retry me')) : (subscriber.next('ok'), subscriber.complete())), 4);
              return () => (kept.unsubscribe(), end.unsubscribe());
            }),
          }],
        });
        const events: TaskEvent[] = [];
        m.events$.subscribe((e) => events.push(e));
        m.submit({ provider: 'p', payload: 0 });
        flush();
        const progress = events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? `${String(e.value)}#${e.attempt}@${e.at}` : ''));
        const second = 4 + retryDelay;
        expect(progress, `retry after ${retryDelay} ms`).toEqual([`a1-first#1@0`, `a2-first#2@${second}`]);
        expect(events.at(-1)?.type).toBe('succeeded');
      });
    }
  });
});
