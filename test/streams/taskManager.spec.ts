import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { EMPTY, finalize, of, type SchedulerLike, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type TaskEvent, type TaskOutcome } from '../../src/index.js';
import type { Provider } from '../../src/types.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

type Started = { id: string; server: string; at: number };

function startsOf(events: TaskEvent[]): Started[] {
  return events.flatMap((e) => (e.type === 'started' ? [{ id: e.id, server: e.server, at: e.at }] : []));
}

describe('createTaskManager', () => {
  it('should run queued tasks by priority, FIFO among equals, commands first', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'ok', scheduler) }],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'p', payload: 0, id: 'busy' }); // takes the only slot
      m.submit({ provider: 'p', payload: 0, id: 'low-a', priority: 1 });
      m.submit({ provider: 'p', payload: 0, id: 'high', priority: 9 });
      m.submit({ provider: 'p', payload: 0, id: 'low-b', priority: 1 });
      m.submit({ provider: 'p', payload: 0, id: 'neg', priority: -3 });
      m.command('p', () => of('cmd'), { id: 'cmd' });
      m.submit({ provider: 'p', payload: 0, id: 'low-c', priority: 1 });
      flush();
      expect(startsOf(events).map((s) => s.id)).toEqual(['busy', 'cmd', 'high', 'low-a', 'low-b', 'low-c', 'neg']);
      expect(startsOf(events).map((s) => s.at)).toEqual([0, 10, 10, 20, 30, 40, 50]);
    });
  });

  it('should emit exactly one outcome per accepted task, with the handler value', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        defaultServerLimit: 2,
        providers: [{ name: 'p', servers: ['a', 'b'], handle: (t) => work(5, `v${String(t.payload)}`, scheduler) }],
      });
      const outcomes: TaskOutcome[] = [];
      for (let i = 0; i < 20; i++) {
        const r = m.submit({ provider: 'p', payload: i });
        if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
      }
      flush();
      expect(outcomes).toHaveLength(20);
      expect(new Set(outcomes.map((o) => o.id)).size).toBe(20);
      expect(outcomes.every((o) => o._tag === 'Succeeded')).toBe(true);
      expect(outcomes.map((o) => (o._tag === 'Succeeded' ? o.value : null))).toContain('v19');
      // 4 slots (2 servers x 2): 20 tasks of 5 ms finish at 25 ms.
      expect(scheduler.now()).toBe(25);
    });
  });

  it('should replay the outcome to a late subscriber of outcome$', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(1, 42, scheduler) }] });
      const r = m.submit({ provider: 'p', payload: 0 });
      flush();
      const seen: TaskOutcome<number>[] = [];
      if (isRight(r)) r.right.outcome$.subscribe((o) => seen.push(o));
      expect(seen).toMatchObject([{ _tag: 'Succeeded', value: 42, attempts: 1, server: 's' }]);
    });
  });

  describe('handler results', () => {
    const cases: Array<[string, Provider['handle'], Partial<TaskOutcome>]> = [
      ['a synchronous throw fails the attempt', () => { throw new Error('boom'); }, { _tag: 'Failed' }],
      ['an erroring Observable fails the attempt', () => throwError(() => new Error('x')), { _tag: 'Failed' }],
      ['a plain value succeeds with that value', () => 7, { _tag: 'Succeeded', value: 7 }],
      ['a string is a value, not a stream of characters', () => 'abc', { _tag: 'Succeeded', value: 'abc' }],
      ['an array is a value', () => [1, 2], { _tag: 'Succeeded', value: [1, 2] }],
      ['an Observable completing empty succeeds with undefined', () => EMPTY, { _tag: 'Succeeded', value: undefined }],
      ['an Observable emitting several values succeeds with the last', () => of(1, 2, 3), { _tag: 'Succeeded', value: 3 }],
      ['a non-Error throw fails with that value', () => { throw 'plain'; }, { _tag: 'Failed', error: 'plain' }],
    ];
    for (const [name, handle, expected] of cases) {
      it(`should handle: ${name}`, () => {
        inVirtualTime((scheduler, flush) => {
          const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle }] });
          const outcomes: TaskOutcome[] = [];
          const r = m.submit({ provider: 'p', payload: 0 });
          if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.push(o));
          flush();
          expect(outcomes).toHaveLength(1);
          expect(outcomes[0]).toMatchObject(expected);
          expect(m.stats().servers['s']).toMatchObject({ inUse: 0 });
        });
      });
    }

    it('should handle a rejected Promise as a failed attempt', async () => {
      const m = createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: () => Promise.reject(new Error('nope')) }] });
      const outcome = await m.run({ provider: 'p', payload: 0 });
      expect(outcome).toMatchObject({ _tag: 'Failed', attempts: 1 });
      expect((outcome as { error: Error }).error.message).toBe('nope');
      await m.shutdown();
    });
  });

  describe('submit', () => {
    const m = createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: () => new Promise(() => undefined) }] });

    it('should refuse a duplicate id while the task is live', () => {
      expect(isRight(m.submit({ provider: 'p', payload: 0, id: 'same' }))).toBe(true);
      expect(m.submit({ provider: 'p', payload: 1, id: 'same' })).toEqual({ _tag: 'Left', left: { _tag: 'DuplicateId', id: 'same' } });
    });

    it('should refuse an unknown provider', () => {
      // @ts-expect-error -- an unknown name does not compile; a caller without the types is refused at runtime
      expect(m.submit({ provider: 'nope', payload: 0 })).toEqual({ _tag: 'Left', left: { _tag: 'UnknownProvider', provider: 'nope' } });
    });

    const invalid: Array<[string, Record<string, unknown>]> = [
      ['priority', { priority: Number.NaN }],
      ['priority', { priority: Infinity }],
      ['id', { id: '' }],
      ['maxRetries', { maxRetries: -1 }],
      ['maxRetries', { maxRetries: 1.5 }],
      ['timeoutMs', { timeoutMs: 0 }],
      ['callbackName', { callbackName: 3 }],
    ];
    for (const [field, extra] of invalid) {
      it(`should refuse an invalid ${field} (${JSON.stringify(extra)}) naming the field`, () => {
        const r = m.submit({ provider: 'p', payload: 0, ...extra });
        expect(isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidTask', field });
        if (isLeft(r) && r.left._tag === 'InvalidTask') expect(r.left.message).toContain(`\`${field}\``);
      });
    }

    it('should reject run() with a SubmitRejectedError carrying the rejection', async () => {
      // @ts-expect-error -- as above: refused at compile time, and at runtime for a caller without the types
      await expect(m.run({ provider: 'nope', payload: 0 })).rejects.toMatchObject({
        name: 'SubmitRejectedError',
        rejection: { _tag: 'UnknownProvider', provider: 'nope' },
      });
    });
  });

  it('should share one budget between providers that list the same server', () => {
    inVirtualTime((scheduler, flush) => {
      let running = 0;
      let peak = 0;
      const handle = () => {
        running++;
        peak = Math.max(peak, running);
        return work(10, null, scheduler).pipe(finalize(() => running--));
      };
      const m = createTaskManager({
        scheduler,
        serverLimits: { 'https://shared.example.com': 2 },
        providers: [
          { name: 'a', servers: ['https://shared.example.com?s=1'], handle },
          { name: 'b', servers: ['https://shared.example.com#b'], handle },
        ],
      });
      for (let i = 0; i < 6; i++) {
        m.submit({ provider: 'a', payload: i });
        m.submit({ provider: 'b', payload: i });
      }
      expect(m.stats().servers).toEqual({ 'https://shared.example.com/': { limit: 2, inUse: 2, waiters: 10 } });
      flush();
      expect(peak).toBe(2);
      expect(scheduler.now()).toBe(60);
    });
  });

  it('should give a freed slot to the best waiting task of any provider that lists the server', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [
          { name: 'a', servers: ['s'], handle: () => work(10, null, scheduler) },
          { name: 'b', servers: ['s', 't'], handle: () => work(10, null, scheduler) },
        ],
      });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'a', payload: 0, id: 'a0' });
      m.submit({ provider: 'b', payload: 0, id: 'b0' }); // t is free
      m.submit({ provider: 'a', payload: 0, id: 'a1', priority: 1 });
      m.submit({ provider: 'b', payload: 0, id: 'b1', priority: 5 });
      m.submit({ provider: 'b', payload: 0, id: 'b2', priority: 1 });
      flush();
      const starts = startsOf(events);
      expect(starts.slice(0, 2)).toEqual([
        { id: 'a0', server: 's', at: 0 },
        { id: 'b0', server: 't', at: 0 },
      ]);
      // At 10, s frees first: b1 (p5) beats a1 (p1). Then t frees: only b lists t, so b2 takes
      // it although a1 was submitted earlier. a1 waits for s.
      expect(starts.slice(2)).toEqual([
        { id: 'b1', server: 's', at: 10 },
        { id: 'b2', server: 't', at: 10 },
        { id: 'a1', server: 's', at: 20 },
      ]);
    });
  });

  it('should time the next attempt from its handler call, not from before a slow events$ subscriber', () => {
    inVirtualTime((virtual, flush) => {
      // A clock that a subscriber can push forward, as real time passes while user code runs.
      let spent = 0;
      const scheduler: SchedulerLike = { now: () => virtual.now() + spent, schedule: virtual.schedule.bind(virtual) };
      const m = createTaskManager({ scheduler, timeout: 15, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 'done', virtual) }] });
      const seen: string[] = [];
      m.events$.subscribe((e) => {
        if (e.type !== 'started' && e.type !== 'succeeded') return;
        seen.push(`${e.id} ${e.type}@${e.at}`);
        if (e.type === 'succeeded') spent += 50;
      });
      m.submit({ provider: 'p', payload: 0, id: 'a' });
      m.submit({ provider: 'p', payload: 0, id: 'b' });
      flush();
      // b takes the slot in the transition that ends a (at 10); its handler is called once the
      // subscriber's 50 ms are over, and its 15 ms timeout counts from then: it does not time out.
      expect(seen).toEqual(['a started@0', 'a succeeded@10', 'b started@10', 'b succeeded@70']);
    });
  });

  it('should hand each provider a slot under its own spelling of a shared server', () => {
    inVirtualTime((scheduler, flush) => {
      const events: TaskEvent[] = [];
      const m = createTaskManager({
        scheduler,
        providers: [
          { name: 'a', servers: ['http://gpu.example.com/'], handle: () => work(10, null, scheduler) },
          { name: 'b', servers: ['HTTP://GPU.example.com'], handle: () => work(10, null, scheduler) },
          { name: 'c', servers: ['http://gpu.example.com/'], handle: () => work(10, null, scheduler) },
        ],
      });
      m.events$.subscribe((e) => events.push(e));
      for (const provider of ['a', 'b', 'c', 'a', 'b', 'c'] as const) m.submit({ provider, payload: 0 });
      flush();
      const starts = events.flatMap((e) => (e.type === 'started' ? [[e.provider, e.server, e.at]] : []));
      // One budget (limit 1): one at a time, in submission order, each under its provider's spelling.
      expect(starts).toEqual([
        ['a', 'http://gpu.example.com/', 0],
        ['b', 'HTTP://GPU.example.com', 10],
        ['c', 'http://gpu.example.com/', 20],
        ['a', 'http://gpu.example.com/', 30],
        ['b', 'HTTP://GPU.example.com', 40],
        ['c', 'http://gpu.example.com/', 50],
      ]);
    });
  });

  it('should give the slots a limit change opens to the tasks waiting then, before any handler runs', () => {
    inVirtualTime((scheduler, flush) => {
      const events: TaskEvent[] = [];
      const m = createTaskManager({
        scheduler,
        serverLimits: { s: 0 },
        providers: [
          {
            name: 'a',
            servers: ['s'],
            handle: (task) => {
              // Runs once setServerLimit's transition is whole: both slots went to a1 and a2.
              if (task.payload === 'a1') m.submit({ provider: 'b', payload: 'b1', id: 'b1', priority: 9 });
              return work(10, null, scheduler);
            },
          },
          { name: 'b', servers: ['s'], handle: () => work(10, null, scheduler) },
        ],
      });
      m.events$.subscribe((e) => events.push(e));
      m.submit({ provider: 'a', payload: 'a1', id: 'a1' });
      m.submit({ provider: 'a', payload: 'a2', id: 'a2' });
      m.setServerLimit('s', 2);
      flush();
      expect(startsOf(events).map((s) => `${s.id}@${s.at}`)).toEqual(['a1@0', 'a2@0', 'b1@10']);
    });
  });

  it('should say in stats which budget each pool entry draws on, following live limit changes', () => {
    const m = createTaskManager({ providers: [{ name: 'p', servers: ['https://gpu-1.example.com/v1', 'https://gpu-2.example.com/v1'], handle: () => 1 }] });
    expect(m.stats().providers['p']?.budgetOf).toEqual({
      'https://gpu-1.example.com/v1': 'https://gpu-1.example.com/v1',
      'https://gpu-2.example.com/v1': 'https://gpu-2.example.com/v1',
    });
    m.setServerLimit('https://gpu-2.example.com', 4);
    expect(m.stats().providers['p']?.budgetOf['https://gpu-2.example.com/v1']).toBe('https://gpu-2.example.com/');
    expect(Object.keys(m.stats().servers)).toContain('https://gpu-2.example.com/');
  });

  it('should report stats per provider and per budget, present from the start', () => {
    const m = createTaskManager({
      serverLimits: { 'https://api.example.com/v1': 3 },
      providers: [{ name: 'p', servers: ['https://api.example.com/v1/a', 'https://api.example.com/v1/b', 'gpu-1'], handle: () => 1 }],
    });
    expect(m.stats()).toEqual({
      providers: {
        p: {
          queued: 0,
          waiting: 0,
          running: 0,
          succeeded: 0,
          failed: 0,
          cancelled: 0,
          retries: 0,
          delayed: 0,
          paused: false,
          // Which budget each pool entry draws on: both api servers share the prefix's.
          budgetOf: { 'https://api.example.com/v1/a': 'https://api.example.com/v1', 'https://api.example.com/v1/b': 'https://api.example.com/v1', 'gpu-1': 'gpu-1' },
        },
      },
      servers: {
        'https://api.example.com/v1': { limit: 3, inUse: 0, waiters: 0 },
        'gpu-1': { limit: 1, inUse: 0, waiters: 0 },
      },
    });
  });

  it('should accept `__proto__` and `constructor` as provider names and ids without breaking stats', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [
          { name: '__proto__', servers: ['constructor'], handle: () => 1 },
          { name: 'constructor', servers: ['__proto__'], handle: () => 2 },
        ],
      });
      expect(isRight(m.submit({ provider: '__proto__', payload: 0, id: '__proto__' }))).toBe(true);
      expect(isRight(m.submit({ provider: 'constructor', payload: 0, id: 'constructor' }))).toBe(true);
      flush();
      const stats = m.stats();
      expect(Object.keys(stats.providers)).toEqual(['__proto__', 'constructor']);
      expect(stats.providers['__proto__']?.succeeded).toBe(1);
      expect(stats.servers['constructor']).toEqual({ limit: 1, inUse: 0, waiters: 0 });
    });
  });

  it('should not build events when nobody listens', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => 1 }] });
      const r = m.submit({ provider: 'p', payload: 0 });
      flush();
      expect(isRight(r)).toBe(true);
      // events$ subscribed after the fact sees nothing of the past: events are not buffered.
      const late: TaskEvent[] = [];
      m.events$.subscribe((e) => late.push(e));
      expect(late).toEqual([]);
    });
  });

  it('should emit stats$ with the current value first, then coalesced changes', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(10, 1, scheduler) }] });
      const queued: number[] = [];
      m.stats$.subscribe((s) => queued.push((s.providers['p']?.queued ?? -1) + 100 * (s.providers['p']?.succeeded ?? 0)));
      for (let i = 0; i < 3; i++) m.submit({ provider: 'p', payload: i });
      flush();
      expect(queued[0]).toBe(0);
      expect(queued).toContain(2); // one coalesced snapshot after the three submissions
      expect(queued[queued.length - 1]).toBe(300);
    });
  });

  it('should run its events on the given scheduler: virtual timestamps', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: () => work(250, 1, scheduler) }] });
      const events: TaskEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      scheduler.schedule(() => m.submit({ provider: 'p', payload: 0, id: 't' }), 1000);
      flush();
      expect(events.map((e) => [e.type, e.at])).toEqual([
        ['queued', 1000],
        ['started', 1000],
        ['succeeded', 1250],
      ]);
    });
  });
});
