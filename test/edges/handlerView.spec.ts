import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type AttemptContext, type Task, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

// README, "defineProvider": a handler gets a plain frozen `task` with the documented fields and a
// plain `ctx`; whatever it does to them changes nothing inside the manager.

describe('what a handler sees', () => {
  it('should give a plain, frozen task with the documented fields, which serialises and spreads', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      let seen: { task: Task; ctx: AttemptContext; json: string; spread: object } | undefined;
      const m = createTaskManager({
        scheduler,
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (task, ctx) => {
            seen = { task, ctx, json: JSON.stringify({ task, ctx }), spread: { ...task } };
            return work(5, 'done', scheduler);
          },
        }],
      });
      const submitted = m.submit({ provider: 'p', payload: { n: 1 }, id: 'a', priority: 3, maxRetries: 2 });
      const report = m.shutdown();
      flush();
      expect(isRight(submitted)).toBe(true);
      const expected = { id: 'a', provider: 'p', payload: { n: 1 }, priority: 3, maxRetries: 2, submittedAt: 0 };
      expect(seen?.spread).toEqual(expected);
      expect(JSON.parse(seen?.json ?? '{}')).toEqual({ task: expected, ctx: { taskId: 'a', provider: 'p', server: 's', attempt: 1 } });
      expect(Object.isFrozen(seen?.task)).toBe(true);
      expect(Object.keys(seen?.task ?? {}).sort()).toEqual(Object.keys(expected).sort());
      expect(await report).toMatchObject({ succeeded: 1 });
    });
  });

  it('should keep the task\'s outcome whatever the handler writes into task and ctx', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (task, ctx) => {
            for (const target of [task, ctx] as unknown as Array<Record<string, unknown>>) {
              for (const key of ['state', 'id', 'attempt', 'attempts', 'outcome', 'home', 'provider']) {
                try {
                  target[key] = 'processing';
                } catch {
                  // a frozen task refuses in strict mode; that is the point
                }
              }
            }
            return work(5, 'done', scheduler);
          },
        }],
      });
      const outcomes: TaskOutcome[] = [];
      const submitted = m.submit({ provider: 'p', payload: 1, id: 'a' });
      if (isRight(submitted)) submitted.right.outcome$.subscribe((o) => outcomes.push(o));
      const report = m.shutdown();
      flush();
      expect(outcomes).toMatchObject([{ _tag: 'Succeeded', id: 'a', value: 'done', attempts: 1, server: 's' }]);
      expect(await report).toMatchObject({ succeeded: 1 });
    });
  });
});
