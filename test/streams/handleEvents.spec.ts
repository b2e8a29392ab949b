import { isRight } from 'fp-ts/lib/Either.js';
import { throwError, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskEvent, type TaskHandle } from '../../src/index.js';
import { seeded } from '../helpers/invariants.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

const show = (e: TaskEvent): string => JSON.stringify(e);

// A handle's events$ is rebuilt from what the manager keeps (the record, its attempts) for what
// happened before the subscription: it must be exactly what events$ delivered for that task.
describe('handle.events$ replay', () => {
  it('should replay to a late subscriber exactly what events$ delivered, for tasks with retries, timeouts, abandons, waits and cancels', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      inVirtualTime((scheduler, flush) => {
        const random = seeded(seed);
        const m = createTaskManager({
          scheduler,
          defaultServerLimit: 1 + Math.floor(random() * 2),
          timeout: 30,
          abandonAfterMs: 15,
          retry: { maxRetries: 2, backoff: { initialDelayMs: 5, jitter: 'none' } },
          providers: [
            {
              name: 'p',
              servers: ['a', 'b'],
              handle: (task, ctx) => {
                const payload = task.payload as number;
                const kind = (payload + ctx.attempt) % 5;
                if (kind === 0) return throwError(() => new Error('fails'));
                if (kind === 1) return virtualPromise(60, 'late', scheduler); // ignores its signal: times out, abandoned
                if (kind === 2) return timer(100, scheduler); // times out, unsubscribed
                return work(10 + (payload % 7), payload, scheduler);
              },
            },
          ],
        });
        const global = new Map<string, string[]>();
        m.events$.subscribe((e) => {
          const list = global.get(e.id) ?? [];
          // A handle's stream ends at the outcome: an abandon after it is events$' alone.
          if (!list.some((s) => /"type":"(succeeded|failed|cancelled)"/.test(s))) list.push(show(e));
          global.set(e.id, list);
        });
        const handles: TaskHandle[] = [];
        for (let i = 0; i < 12; i++) {
          const r = m.submit({ provider: 'p', payload: Math.floor(random() * 100), priority: Math.floor(random() * 3) });
          if (isRight(r)) handles.push(r.right);
        }
        const toCancel = handles[Math.floor(random() * handles.length)] as TaskHandle;
        scheduler.schedule(() => toCancel.cancel(), Math.floor(random() * 80));
        // Some subscribe halfway through, the rest once everything is over.
        const replayed = new Map<string, string[]>();
        const watch = (h: TaskHandle): void => {
          const list: string[] = [];
          replayed.set(h.id, list);
          h.events$.subscribe({ next: (e) => list.push(show(e)), complete: () => list.push('complete') });
        };
        scheduler.schedule(() => handles.slice(0, 6).forEach(watch), 40);
        flush();
        handles.slice(6).forEach(watch);
        for (const list of global.values()) for (const s of list) seen.add(JSON.parse(s).type);
        for (const h of handles) {
          expect(replayed.get(h.id), `seed ${seed}, task ${h.id}`).toEqual([...(global.get(h.id) ?? []), 'complete']);
        }
      });
    }
    // The replay was tried on every kind of event.
    expect([...seen].sort()).toEqual(['abandoned', 'cancelled', 'failed', 'queued', 'retrying', 'started', 'succeeded', 'waiting-for-slot']);
  });
});
