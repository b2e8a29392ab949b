import { isRight } from 'fp-ts/lib/Either.js';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskHandle, type TaskOutcome } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

// The manager keeps a finished task's outcome as its parts and rebuilds it when asked: a handle
// subscribed after the outcome must get what an early subscriber got, for every kind of ending.
describe('a finished task asked for its outcome later', () => {
  it('should replay the same outcome and outcome event to late subscribers: succeeded, failed, cancelled (with abortReason)', () => {
    inVirtualTime((scheduler, flush) => {
      const failure = new Error('no');
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 0 },
        providers: [
          {
            name: 'p',
            servers: ['https://u:pw@s.example/a'],
            handle: (t) => {
              if (t.payload === 'fail') throw failure;
              return work(10, { v: t.payload }, scheduler);
            },
          },
        ],
      });
      const controller = new AbortController();
      const handles: Array<TaskHandle<unknown>> = [];
      const early = new Map<string, TaskOutcome>();
      const inputs: Array<{ id: string; payload: string; signal?: AbortSignal }> = [
        { payload: 'ok', id: 'ok' },
        { payload: 'fail', id: 'fail' },
        { payload: 'x', id: 'aborted', signal: controller.signal },
        { payload: 'x', id: 'cancelled' },
      ];
      for (const input of inputs) {
        const r = m.submit({ provider: 'p', ...input });
        if (!isRight(r)) throw new Error('refused');
        handles.push(r.right);
        r.right.outcome$.subscribe((o) => early.set(o.id, o));
      }
      m.cancel('cancelled');
      controller.abort('stop');
      flush();
      const late: TaskOutcome[] = [];
      for (const handle of handles) handle.outcome$.subscribe((o) => late.push(o));
      expect(late).toEqual(late.map((o) => early.get(o.id)));
      expect(early.size).toBe(4);
      expect(late.map((o) => o._tag)).toEqual(['Succeeded', 'Failed', 'Cancelled', 'Cancelled']);
      expect(late[0]).toMatchObject({ id: 'ok', value: { v: 'ok' }, attempts: 1, server: 'https://s.example/a', elapsedMs: 10 });
      expect(late[1]).toMatchObject({ id: 'fail', error: failure, attempts: 1 });
      expect(late[2]).toEqual({ _tag: 'Cancelled', id: 'aborted', reason: 'abort', abortReason: 'stop', attempts: 0, elapsedMs: 0 });
      expect(late[3]).toEqual({ _tag: 'Cancelled', id: 'cancelled', reason: 'cancel', attempts: 0, elapsedMs: 0 });
    });
  });

  it('should end a late events$ replay with the outcome event the global stream carried', async () => {
    const m = createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: (t) => t.payload }] });
    const outcomeEvents: unknown[] = [];
    m.events$.subscribe((e) => {
      if (e.type === 'succeeded') outcomeEvents.push(e);
    });
    const r = m.submit({ provider: 'p', payload: 7 });
    if (!isRight(r)) throw new Error('refused');
    const replay = await lastValueFrom(r.right.events$.pipe(toArray()));
    expect(replay.map((e) => e.type)).toEqual(['queued', 'started', 'succeeded']);
    expect(replay[2]).toEqual(outcomeEvents[0]);
    await m.shutdown();
  });
});
