import { isRight } from 'fp-ts/lib/Either.js';
import { config as rxjsConfig, NEVER, throwError, type SchedulerLike } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTaskManager,
  isSlotWaitTimeoutError,
  isTaskTimeoutError,
  type Logger,
  type Provider,
  type TaskEvent,
  type TaskManager,
  type TaskManagerOptions,
  type TaskOutcome,
} from '../../src/index.js';
import type { CallbackError } from '../../src/index.js';
import { inVirtualTime, virtualPromise, work } from '../helpers/virtual.js';

// User-supplied callbacks (isRetryable, the timeout function, the logger, random, observers) that
// throw or return nonsense never break the pipeline or another task. Handlers are covered in
// handlers.spec.ts.

function collect(m: TaskManager, scheduler: { now(): number }, inputs: Array<Parameters<TaskManager['submit']>[0]>): Map<string, Array<[number, TaskOutcome]>> {
  const outcomes = new Map<string, Array<[number, TaskOutcome]>>();
  for (const input of inputs) {
    const r = m.submit(input);
    expect(isRight(r)).toBe(true);
    if (isRight(r)) r.right.outcome$.subscribe((o) => outcomes.set(r.right.id, [...(outcomes.get(r.right.id) ?? []), [scheduler.now(), o]]));
  }
  return outcomes;
}

const one = (outcomes: Map<string, Array<[number, TaskOutcome]>>, id: string): [number, TaskOutcome] => {
  const list = outcomes.get(id) ?? [];
  expect(list).toHaveLength(1);
  return list[0] as [number, TaskOutcome];
};

const failing = (scheduler: SchedulerLike): Provider => ({
  name: 'p',
  servers: ['s'],
  handle: (t) => (String(t.payload).startsWith('fail') ? throwError(() => new Error(String(t.payload))) : work(5, t.payload, scheduler)),
});

describe('isRetryable that throws or returns nonsense', () => {
  it('should read a throwing isRetryable as "do not retry" for that error only, and keep every other task going', () => {
    inVirtualTime((scheduler, flush) => {
      let calls = 0;
      const m = createTaskManager({
        scheduler,
        providers: [failing(scheduler)],
        retry: {
          maxRetries: 2,
          backoff: { initialDelayMs: 1, jitter: 'none' },
          isRetryable: (e) => {
            calls++;
            if ((e as Error).message === 'fail-weird') throw new Error('predicate bug');
            return true;
          },
        },
      });
      const outcomes = collect(m, scheduler, [
        { provider: 'p', payload: 'fail-weird', id: 'weird' },
        { provider: 'p', payload: 'fail-again', id: 'again' },
        { provider: 'p', payload: 'ok', id: 'ok' },
      ]);
      flush();
      expect(one(outcomes, 'weird')[1]).toMatchObject({ _tag: 'Failed', attempts: 1, error: { message: 'fail-weird' } });
      expect(one(outcomes, 'again')[1]).toMatchObject({ _tag: 'Failed', attempts: 3, error: { message: 'fail-again' } });
      expect(one(outcomes, 'ok')[1]).toMatchObject({ _tag: 'Succeeded', value: 'ok' });
      expect(calls).toBe(3);
    });
  });

  it.each([
    ['"yes"', 'yes', 3],
    ['an object', {}, 3],
    ['1', 1, 3],
    ['0', 0, 1],
    ['an empty string', '', 1],
    ['undefined', undefined, 1],
    ['null', null, 1],
    ['NaN', NaN, 1],
  ])('should read an isRetryable that returns %s by its truthiness (%s attempts of 3)', (_name, answer, attempts) => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        providers: [failing(scheduler)],
        retry: { maxRetries: 2, backoff: { initialDelayMs: 1, jitter: 'none' }, isRetryable: () => answer as boolean },
      });
      const outcomes = collect(m, scheduler, [{ provider: 'p', payload: 'fail', id: 't' }, { provider: 'p', payload: 'ok', id: 'ok' }]);
      flush();
      expect(one(outcomes, 't')[1]).toMatchObject({ _tag: 'Failed', attempts });
      expect(one(outcomes, 'ok')[1]._tag).toBe('Succeeded');
    });
  });
});

describe('a timeout function that throws or returns nonsense', () => {
  it.each([
    ['throws', () => { throw new Error('no timeout for you'); }],
    ['returns NaN', () => NaN],
    ['returns a negative number', () => -1],
    ['returns 0', () => 0],
    ['returns a string', () => '100'],
    ['returns undefined', () => undefined],
    ['returns null', () => null],
    ['returns an object', () => ({ ms: 100 })],
  ])('should use 60,000 ms for the attempt when it %s, log a warning, and leave other callback names alone', (_name, broken) => {
    inVirtualTime((scheduler, flush) => {
      const warnings: string[] = [];
      const logger: Logger = { debug() {}, info() {}, warn: (_o, msg) => warnings.push(String(msg)), error() {} };
      const m = createTaskManager({
        scheduler,
        logger,
        defaultServerLimit: 2,
        timeout: ((callbackName: string) => (callbackName === 'broken' ? broken() : 50)) as TaskManagerOptions['timeout'],
        providers: [{ name: 'p', servers: ['s'], handle: () => NEVER }],
      });
      const outcomes = collect(m, scheduler, [
        { provider: 'p', payload: 0, id: 'broken', callbackName: 'broken' },
        { provider: 'p', payload: 0, id: 'fine', callbackName: 'fine' },
      ]);
      flush();
      const [brokenAt, brokenOutcome] = one(outcomes, 'broken');
      expect(brokenAt).toBe(60_000);
      expect(brokenOutcome._tag === 'Failed' && isTaskTimeoutError(brokenOutcome.error) && brokenOutcome.error.timeoutMs).toBe(60_000);
      expect(one(outcomes, 'fine')[0]).toBe(50);
      expect(warnings.some((w) => /timeout function/.test(w))).toBe(true);
    });
  });
});

describe('a logger that throws', () => {
  it('should not change any outcome when every logger method throws (failures, timeouts, slot waits, abandons)', () => {
    inVirtualTime((scheduler, flush) => {
      let logCalls = 0;
      const explode = (): never => {
        logCalls++;
        throw new Error('logger down');
      };
      const m = createTaskManager({
        scheduler,
        logger: { debug: explode, info: explode, warn: explode, error: explode },
        retry: { maxRetries: 1, backoff: { initialDelayMs: 1, jitter: 'none' } },
        slotWait: { maxWaitMs: 100 },
        abandonAfterMs: 10,
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (t) => {
            switch (t.payload) {
              case 'fail': return throwError(() => new Error('fail'));
              case 'ignore': return virtualPromise(500, 'late', scheduler);
              default: return work(100, t.payload, scheduler);
            }
          },
        }],
      });
      const outcomes = collect(m, scheduler, [
        { provider: 'p', payload: 'fail', id: 'fail' },
        { provider: 'p', payload: 'ignore', id: 'ignore', timeoutMs: 50, maxRetries: 0 },
        { provider: 'p', payload: 'ok', id: 'ok' },
        { provider: 'p', payload: 'starved', id: 'starved' },
      ]);
      flush();
      expect(one(outcomes, 'fail')[1]).toMatchObject({ _tag: 'Failed', attempts: 2 });
      const ignore = one(outcomes, 'ignore')[1];
      expect(ignore._tag === 'Failed' && isTaskTimeoutError(ignore.error)).toBe(true);
      expect(one(outcomes, 'ok')[1]).toMatchObject({ _tag: 'Succeeded', value: 'ok' });
      const starved = one(outcomes, 'starved')[1];
      expect(starved._tag === 'Failed' && isSlotWaitTimeoutError(starved.error)).toBe(true);
      expect(logCalls).toBeGreaterThanOrEqual(4); // it was called, and threw, every time
      expect(m.stats().servers['s']?.inUse).toBe(0);
    });
  });
});

describe('a random source that throws or returns nonsense', () => {
  it.each([
    ['throws', () => { throw new Error('no entropy'); }],
    ['returns NaN', () => NaN],
    ['returns 7', () => 7],
    ['returns -1', () => -1],
    ['returns Infinity', () => Infinity],
    ['returns a string', () => '0.5'],
  ])('should still wait a whole, capped backoff when random %s, and make every attempt', (_name, random) => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        random: random as () => number,
        retry: { maxRetries: 3, backoff: { initialDelayMs: 100, maxDelayMs: 250, jitter: 'full' } },
        providers: [failing(scheduler)],
      });
      const delays: number[] = [];
      m.events$.subscribe((e) => e.type === 'retrying' && delays.push(e.delayMs));
      const outcomes = collect(m, scheduler, [{ provider: 'p', payload: 'fail', id: 't' }, { provider: 'p', payload: 'ok', id: 'ok' }]);
      flush();
      expect(delays).toHaveLength(3);
      expect(delays.every((d) => Number.isInteger(d) && d >= 0 && d <= 250)).toBe(true);
      expect(one(outcomes, 't')[1]).toMatchObject({ _tag: 'Failed', attempts: 4 });
      expect(one(outcomes, 'ok')[1]._tag).toBe('Succeeded');
    });
  });
});

describe('observers that throw', () => {
  const previous = rxjsConfig.onUnhandledError;
  afterEach(() => {
    rxjsConfig.onUnhandledError = previous;
  });

  it('should keep running tasks and feeding other observers when an events$ or outcome$ observer throws, and report each throw', () => {
    inVirtualTime((scheduler, flush) => {
      const unhandled: unknown[] = [];
      rxjsConfig.onUnhandledError = (e) => unhandled.push(e);
      const logged: unknown[] = [];
      const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (obj: object) => logged.push((obj as { err: unknown }).err) };
      const m = createTaskManager({ scheduler, logger, defaultServerLimit: 2, providers: [failing(scheduler)] });
      const reported: CallbackError[] = [];
      m.callbackErrors$.subscribe((e) => reported.push(e));
      m.events$.subscribe(() => {
        throw new Error('bad events observer');
      });
      const seen: TaskEvent[] = [];
      m.events$.subscribe((e) => seen.push(e));
      const r = m.submit({ provider: 'p', payload: 'a', id: 'a' });
      if (isRight(r)) r.right.outcome$.subscribe(() => {
        throw new Error('bad outcome observer');
      });
      const outcomes = collect(m, scheduler, [{ provider: 'p', payload: 'b', id: 'b' }, { provider: 'p', payload: 'c', id: 'c' }]);
      flush();
      expect(seen.filter((e) => e.type === 'succeeded').map((e) => e.id).sort()).toEqual(['a', 'b', 'c']);
      expect(one(outcomes, 'c')[1]).toMatchObject({ _tag: 'Succeeded', value: 'c' });
      // Reported on callbackErrors$ and to the logger; never handed to rxjs (whose default ends Node).
      expect(unhandled).toEqual([]);
      expect(reported.find((e) => e.source === 'handle subscriber')).toMatchObject({ taskId: 'a', cause: new Error('bad outcome observer') });
      expect(reported.filter((e) => e.source === 'events$ subscriber').length).toBe(seen.length);
      expect(logged.some((e) => (e as Error).message === 'bad events observer')).toBe(true);
      expect(m.stats().providers['p']).toMatchObject({ succeeded: 3, running: 0, queued: 0 });
    });
  });
});
