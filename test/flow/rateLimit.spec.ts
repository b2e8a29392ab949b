import { tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { serverSlots } from '../../src/operators/serverSlots.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { rateLimitedCoordinator } from '../../src/slots/rateLimitedCoordinator.js';
import { createTaskManager, type TaskEvent } from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

describe('rateLimitedCoordinator under serverSlots (marbles, virtual time)', () => {
  let rx: TestScheduler;
  beforeEach(() => {
    rx = new TestScheduler((a, e) => expect(a).toEqual(e));
  });

  it('should start at most `starts` per sliding window of intervalMs, alongside the concurrency limit', () => {
    const starts: number[] = [];
    rx.run(({ cold, hot, expectObservable }) => {
      const coordinator = rateLimitedCoordinator(localSlotCoordinator({ defaultLimit: 10 }), { rates: { s: { starts: 2, intervalMs: 10 } }, scheduler: rx });
      const work = () => cold('-(d|)', { d: 1 }).pipe(tap({ subscribe: () => starts.push(rx.now()) }));
      // Five items at 0: two start at 0, two at 10 (when the first two leave the window), one at 20.
      const out = hot('(abcde)').pipe(serverSlots({ servers: ['s'], coordinator, work }));
      expectObservable(out).toBe('-(dd)------(dd)------d', { d: 1 });
    });
    expect(starts).toEqual([0, 0, 10, 10, 20]);
  });

  it('should keep minTimeMs between two starts, and apply a rate changed live', () => {
    const starts: number[] = [];
    rx.run(({ cold, hot }) => {
      const coordinator = rateLimitedCoordinator(localSlotCoordinator({ defaultLimit: 10 }), { rates: { s: { minTimeMs: 4 } }, scheduler: rx });
      const work = () => cold('-(d|)', { d: 1 }).pipe(tap({ subscribe: () => starts.push(rx.now()) }));
      rx.schedule(() => coordinator.setRate('s', undefined), 9); // no rate from 9: the rest start at once
      hot('(abcdef)').pipe(serverSlots({ servers: ['s'], coordinator, work })).subscribe();
    });
    expect(starts).toEqual([0, 4, 8, 9, 9, 9]);
  });

  it('should refuse a bad rate, naming the field', () => {
    expect(() => rateLimitedCoordinator(localSlotCoordinator(), { rates: { s: { starts: 0, intervalMs: 10 } } })).toThrow(/rateLimits\["s"\]\.starts/);
    expect(() => rateLimitedCoordinator(localSlotCoordinator(), { rates: { s: { starts: 2 } } })).toThrow(/intervalMs/);
  });
});

describe('rateLimits on the manager (virtual time)', () => {
  it('should hold the rate for the manager (10 per second on a host of limit 4) and change it live', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        serverLimits: { 'https://api.example.com': 4 },
        rateLimits: { 'https://api.example.com': { starts: 10, intervalMs: 1000 } },
        providers: [{ name: 'p', servers: ['https://api.example.com/v1'], handle: () => work(1, 'ok', scheduler) }],
      });
      const starts: number[] = [];
      m.events$.subscribe((e: TaskEvent) => e.type === 'started' && starts.push(e.at));
      for (let i = 0; i < 25; i++) m.submit({ provider: 'p', payload: i });
      flush();
      // 0: 4 (the limit), 1: 4 more, 2: the tenth; then 10 from 1000, and 5 from 2000.
      expect(starts.filter((t) => t < 1000).length).toBe(10);
      expect(starts.filter((t) => t >= 1000 && t < 2000).length).toBe(10);
      expect(starts.filter((t) => t >= 2000).length).toBe(5);
      for (let i = 0; i < starts.length; i++) expect(starts.filter((t) => t > (starts[i] as number) - 1000 && t <= (starts[i] as number)).length).toBeLessThanOrEqual(10);
      expect(m.setRateLimit('https://api.example.com', { minTimeMs: 50 })).toEqual({ _tag: 'Right', right: undefined });
    });
  });

  it('should leave no timer after shutdown', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        rateLimits: { s: { starts: 1, intervalMs: 100 } },
        providers: [{ name: 'p', servers: ['s'], handle: () => 1 }],
      });
      m.submit({ provider: 'p', payload: 0 });
      m.submit({ provider: 'p', payload: 1 }); // waits for the window
      const report = m.shutdown({ mode: 'cancel', graceMs: 0 });
      flush();
      expect(await report).toMatchObject({ succeeded: 1, cancelled: 1 });
      expect(scheduler.actions.length).toBe(0);
    });
  });
});

describe('rate limits with long intervals (marbles, virtual time)', () => {
  const DAY = 86_400_000;
  const MAX_TIMER_MS = 2 ** 31 - 1;

  it('should wait a 30-day interval (and a 30-day minTime) its whole length, asking no timer for more than 2^31 - 1 ms', () => {
    for (const rate of [{ starts: 1, intervalMs: 30 * DAY }, { minTimeMs: 30 * DAY }]) {
      const rx = new TestScheduler((a, e) => expect(a).toEqual(e));
      const starts: number[] = [];
      const delays: number[] = [];
      rx.run(({ cold, hot }) => {
        // The scheduler, recording every delay asked of it (a real timer fires after 1 ms past 2^31 - 1).
        const clock = { now: () => rx.now(), schedule: (work: never, delay?: number, state?: never) => (delays.push(delay ?? 0), rx.schedule(work, delay, state)) } as typeof rx;
        const coordinator = rateLimitedCoordinator(localSlotCoordinator({ defaultLimit: 10 }), { rates: { s: rate }, scheduler: clock });
        const work = () => cold('-(d|)', { d: 1 }).pipe(tap({ subscribe: () => starts.push(rx.now()) }));
        hot('(ab)').pipe(serverSlots({ servers: ['s'], coordinator, work })).subscribe();
      });
      expect(starts).toEqual([0, 30 * DAY]);
      expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    }
  });
});

describe('setRateLimit finds the budget as setServerLimit does', () => {
  it('should rate the budget of a limit key written with its default port, a trailing slash or an upper-case host (live and in rateLimits)', () => {
    for (const [limitKey, rateKey] of [
      ['https://api.example.com:443', 'https://API.example.com:443/'],
      ['https://api.example.com:443', 'https://api.example.com:443'],
      ['https://api.example.com/v1/', 'https://Api.Example.com/v1/'],
    ] as const) {
      for (const live of [true, false]) inVirtualTime((scheduler, flush) => {
        const m = createTaskManager({
          scheduler,
          serverLimits: { [limitKey]: 4 },
          rateLimits: live ? {} : { [rateKey]: { minTimeMs: 100 } },
          providers: [{ name: 'api', servers: ['https://api.example.com/v1/chat'], handle: () => work(1, 'ok', scheduler) }],
        });
        if (live) expect(m.setRateLimit(rateKey, { minTimeMs: 100 })._tag).toBe('Right');
        const starts: number[] = [];
        m.events$.subscribe((event: TaskEvent) => event.type === 'started' && starts.push(scheduler.now()));
        for (let i = 0; i < 3; i++) m.submit({ provider: 'api', payload: i });
        flush();
        expect(starts, `${limitKey} rated as ${rateKey}`).toEqual([0, 100, 200]);
      });
    }
  });
});
