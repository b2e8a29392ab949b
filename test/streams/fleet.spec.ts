import { isRight } from 'fp-ts/lib/Either.js';
import { Observable, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type ServerEvent, type TaskManager, type TaskManagerOptions } from '../../src/index.js';
import { inVirtualTime } from '../helpers/virtual.js';

/** A server of `capacity` at `baseMs`: slower past the capacity, failing past twice it, or always when `down()`. */
function simServer(scheduler: SchedulerLike, capacity: number, baseMs: number, down: () => boolean = () => false) {
  const state = { inFlight: 0, maxInFlight: 0, starts: [] as number[] };
  const attempt = (): Observable<number> =>
    new Observable<number>((subscriber) => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      state.starts.push(scheduler.now());
      const fails = down() || state.inFlight > 2 * capacity;
      const ms = fails ? baseMs / 2 : baseMs * Math.max(1, state.inFlight / capacity);
      const action = scheduler.schedule(() => {
        state.inFlight--;
        if (fails) subscriber.error(new Error('503'));
        else {
          subscriber.next(ms);
          subscriber.complete();
        }
      }, ms);
      return () => action.unsubscribe();
    });
  return { state, attempt };
}

function submitMany(m: TaskManager, provider: string, count: number): void {
  for (let i = 0; i < count; i++) expect(isRight(m.submit({ provider, payload: i }))).toBe(true);
}

function manager(scheduler: SchedulerLike, servers: Record<string, () => Observable<number>>, options: Partial<TaskManagerOptions>): TaskManager {
  return createTaskManager({
    scheduler,
    ...options,
    providers: [{ name: 'p', servers: Object.keys(servers), handle: (_t, ctx) => (servers[ctx.server] as () => Observable<number>)() }],
  });
}

describe('adaptive limits', () => {
  it('should grow from initial towards the capacity, never above the hard cap, and say why it moved', () => {
    inVirtualTime((scheduler, flush) => {
      const s = simServer(scheduler, 5, 100);
      const m = manager(scheduler, { s: s.attempt }, { adaptiveLimits: { s: { max: 8, initial: 1, algorithm: 'aimd' } } });
      const events: ServerEvent[] = [];
      m.serverEvents$.subscribe((e) => events.push(e));
      submitMany(m, 'p', 400);
      flush();
      expect(s.state.maxInFlight).toBeLessThanOrEqual(8);
      expect(events[0]).toMatchObject({ type: 'limit-changed', budget: 's', from: 1, to: 2, cap: 8, reason: 'probe' });
      expect(events.some((e) => e.type === 'limit-changed' && e.reason === 'latency')).toBe(true);
      const stats = m.stats().servers['s'];
      expect(stats?.adaptive).toMatchObject({ min: 1, max: 8, algorithm: 'aimd' });
      expect(stats?.limit).toBe(stats?.adaptive?.limit);
      expect(stats?.limit).toBeGreaterThanOrEqual(4);
    });
  });

  it('should keep a live setServerLimit as the cap in force: the adaptive limit never admits above it', () => {
    inVirtualTime((scheduler, flush) => {
      const s = simServer(scheduler, 8, 100);
      const m = manager(scheduler, { s: s.attempt }, { adaptiveLimits: { s: { max: 16, initial: 6 } } });
      m.setServerLimit('s', 2);
      submitMany(m, 'p', 100);
      flush();
      expect(s.state.maxInFlight).toBe(2);
      expect(m.stats().servers['s']?.limit).toBe(2);
    });
  });

  it('should add nothing to stats and emit no server events when no option is on', () => {
    inVirtualTime((scheduler, flush) => {
      const s = simServer(scheduler, 1, 10, () => true);
      const m = manager(scheduler, { s: s.attempt }, {});
      const events: ServerEvent[] = [];
      m.serverEvents$.subscribe((e) => events.push(e));
      submitMany(m, 'p', 20);
      flush();
      expect(events).toEqual([]);
      expect(m.stats().servers['s']).toEqual({ limit: 1, inUse: 0, waiters: 0 });
    });
  });

  it('should reject bad options with the field named', () => {
    const providers = [{ name: 'p', servers: ['s'], handle: () => 1 }];
    expect(() => createTaskManager({ providers, adaptiveLimits: { s: { max: 0 } } })).toThrow(/`adaptiveLimits\["s"\]\.max`/);
    expect(() => createTaskManager({ providers, adaptiveLimits: { s: { max: 4, initial: 5 } } })).toThrow(/`adaptiveLimits\["s"\]\.initial`/);
    expect(() => createTaskManager({ providers, health: { failures: 0 } })).toThrow(/`health\.failures`/);
    expect(() => createTaskManager({ providers, health: { maxEjectedShare: 1 } })).toThrow(/`health\.maxEjectedShare`/);
    expect(() => createTaskManager({ providers, serverChoice: 'random' as never })).toThrow(/`serverChoice`/);
  });
});

describe('health', () => {
  it('should eject a failing server, probe it once per ejection, and restore it when the probe succeeds', () => {
    inVirtualTime((scheduler, flush) => {
      const downUntil = 3_500;
      const bad = simServer(scheduler, 4, 20, () => scheduler.now() < downUntil);
      const good = simServer(scheduler, 4, 20);
      const m = manager(scheduler, { bad: bad.attempt, good: good.attempt }, {
        defaultServerLimit: 4,
        health: { failures: 3, ejectMs: 1_000 },
        retry: { maxRetries: 10, backoff: { initialDelayMs: 10, jitter: 'none' } },
      });
      const events: ServerEvent[] = [];
      m.serverEvents$.subscribe((e) => events.push(e));
      const feed = (): void => {
        if (scheduler.now() < 8_000) {
          submitMany(m, 'p', 2);
          scheduler.schedule(feed, 20);
        }
      };
      feed();
      flush();
      // Failures at 10, 20, 30 eject it until 1,030; the probe (at the next arrival, 1,040) fails at
      // 1,050: ejected for 2 s; the next probe (3,060) fails at 3,070: 4 s; the probe at 7,080 succeeds.
      expect(events.map((e) => [e.type, e.at, 'reason' in e ? e.reason : undefined])).toEqual([
        ['server-ejected', 30, 'failures'],
        ['server-ejected', 1_050, 'probe-failed'],
        ['server-ejected', 3_070, 'probe-failed'],
        ['server-restored', 7_100, 'probe-succeeded'],
      ]);
      expect(events[0]).toMatchObject({ budget: 'bad', failures: 3, until: 1_030 });
      // While ejected nothing starts on it; each reopening lets exactly one probe through.
      const between = (from: number, to: number): number => bad.state.starts.filter((at) => at > from && at < to).length;
      expect(between(30, 1_030)).toBe(0);
      expect(between(1_030, 3_050)).toBe(1);
      expect(between(3_070, 7_070)).toBe(0);
      expect(between(7_070, 7_100)).toBe(1);
      expect(between(7_100, 8_000)).toBeGreaterThan(10);
      expect(m.stats().servers['bad']?.health).toEqual({ state: 'healthy' });
    });
  });

  it('should never eject the last server of a pool', () => {
    inVirtualTime((scheduler, flush) => {
      const only = simServer(scheduler, 2, 10, () => true);
      const m = manager(scheduler, { only: only.attempt }, { health: { failures: 1 } });
      const events: ServerEvent[] = [];
      m.serverEvents$.subscribe((e) => events.push(e));
      submitMany(m, 'p', 20);
      flush();
      expect(events).toEqual([]);
      expect(only.state.starts).toHaveLength(20);
    });
  });
});

describe('peak-EWMA choice', () => {
  it('should send less work to a slow server than the choice by slots does', () => {
    const slowShare = (serverChoice: 'slots' | 'peak-ewma'): number =>
      inVirtualTime((scheduler, flush) => {
        const fast = simServer(scheduler, 4, 10);
        const slow = simServer(scheduler, 4, 30);
        const m = manager(scheduler, { fast: fast.attempt, slow: slow.attempt }, { defaultServerLimit: 4, serverChoice });
        const feed = (n: number): void => {
          submitMany(m, 'p', 1);
          if (n > 0) scheduler.schedule(() => feed(n - 1), 7);
        };
        feed(500);
        flush();
        return slow.state.starts.length / (slow.state.starts.length + fast.state.starts.length);
      });
    const bySlots = slowShare('slots');
    const byLatency = slowShare('peak-ewma');
    expect(byLatency).toBeLessThan(bySlots / 2);
  });
});
