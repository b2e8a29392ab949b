import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

describe('maxQueued and the overflow policy', () => {
  it("should refuse a submission to a full queue with QueueFull under 'reject' (running tasks do not count)", () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], maxQueued: 2, handle: () => work(10, 'ok', scheduler) }] });
      const results = ['run', 'q1', 'q2', 'q3'].map((id) => m.submit({ provider: 'p', payload: 0, id }));
      expect(results.map(isRight)).toEqual([true, true, true, false]);
      expect(isLeft(results[3]!) && results[3].left).toEqual({ _tag: 'QueueFull', provider: 'p', maxQueued: 2 });
      scheduler.schedule(() => expect(isRight(m.submit({ provider: 'p', payload: 0, id: 'later' }))).toBe(true), 10); // one left the queue at 10
      flush();
      expect(m.stats().providers['p']).toMatchObject({ succeeded: 4, cancelled: 0 });
    });
  });

  it("should drop the oldest task of the lowest priority under 'drop-oldest' (reason overflow), and refuse a newcomer of lower priority", () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [{ name: 'p', servers: ['s'], maxQueued: 3, overflow: 'drop-oldest', handle: () => work(10, 'ok', scheduler) }],
      });
      const outcomes: TaskOutcome[] = [];
      const submit = (id: string, priority: number) => {
        const r = m.submit({ provider: 'p', payload: 0, id, priority });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
        return r;
      };
      submit('run', 0);
      submit('a1', 1);
      submit('b5', 5);
      submit('a2', 1);
      expect(isRight(submit('c1', 1))).toBe(true); // full: a1 (oldest of the lowest) goes
      expect(isLeft(submit('z0', 0))).toBe(true); // lower than everything queued: refused
      expect(outcomes).toEqual([{ _tag: 'Cancelled', id: 'a1', reason: 'overflow', attempts: 0, elapsedMs: 0 }]);
      flush();
      expect(outcomes.filter((o) => o._tag === 'Succeeded').map((o) => o.id)).toEqual(['run', 'b5', 'a2', 'c1']);
    });
  });

  it('should check the option at creation, naming the field', () => {
    expect(() => createTaskManager({ providers: [{ name: 'p', servers: [], maxQueued: 0, handle: () => 1 }] })).toThrow(/providers\[0\]\.maxQueued/);
    expect(() => createTaskManager({ providers: [{ name: 'p', servers: [], overflow: 'drop' as 'reject', handle: () => 1 }] })).toThrow(/providers\[0\]\.overflow/);
  });
});
