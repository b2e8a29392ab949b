import { isRight } from 'fp-ts/lib/Either.js';
import { config as rxjsConfig, Observable, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createTaskManager,
  localSlotCoordinator,
  type Logger,
  type ShutdownReport,
  type StatsSnapshot,
  type TaskEvent,
  type TaskInput,
  type TaskManager,
  type TaskManagerOptions,
  type TaskOutcome,
} from '../../src/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';
import { CountingScheduler, SlotWatch } from '../reliability/reentrant.js';

// User code that calls back into the manager (re-entrant calls) or throws, from every place where
// the manager runs user code: handlers, events$ and stats$ subscribers, outcome observers,
// isRetryable, the timeout function and the logger. The manager's promise holds whatever that code
// does: every accepted task ends in exactly one outcome, no server runs more than its limit, a
// manager call made from user code is applied as a whole transition of its own (after the one in
// progress), and user code that throws hurts no one else.
//
// Public API only, so these tests stay valid across rewrites of src/streams/. Each comment says
// what the core did before the transition core (587743e: every manager call one whole transition,
// user code only between transitions); all but one of these tests failed on it (8786da8), see 10.

/** Outcomes per task id, in the order they arrived, with the virtual time of each. */
class Outcomes {
  readonly byId = new Map<string, Array<{ at: number; outcome: TaskOutcome }>>();
  /** Every outcome in arrival order, as `id:tag`. */
  readonly order: string[] = [];

  constructor(readonly scheduler: { now(): number }) {}

  /** Submits and follows the outcome; the submission must be accepted. */
  submit(m: TaskManager, input: TaskInput): void {
    const r = m.submit(input);
    if (!isRight(r)) throw new Error(`${String(input.id)} refused: ${JSON.stringify(r.left)}`);
    this.follow(r.right.id, r.right.outcome$);
  }

  follow(id: string, outcome$: Observable<TaskOutcome>): void {
    outcome$.subscribe((outcome) => {
      this.byId.set(id, [...(this.byId.get(id) ?? []), { at: this.scheduler.now(), outcome }]);
      this.order.push(`${id}:${outcome._tag}`);
    });
  }

  of(id: string): TaskOutcome[] {
    return (this.byId.get(id) ?? []).map((o) => o.outcome);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }
}

/**
 * Handler calls per task id, each noting whether the task already had its outcome then: on its
 * handle's outcome$ (when followed) or as an outcome event (call `watch` first thing, so this
 * subscriber hears every event before the test's own subscribers act on it).
 */
class Calls {
  readonly list: Array<{ id: string; at: number; afterOutcome: boolean }> = [];
  readonly #done = new Set<string>();
  constructor(
    readonly scheduler: { now(): number },
    readonly outcomes: Outcomes,
  ) {}

  watch(m: TaskManager): void {
    m.events$.subscribe((e) => {
      if (e.type === 'succeeded' || e.type === 'failed' || e.type === 'cancelled') this.#done.add(e.id);
    });
  }

  note(id: string): void {
    this.list.push({ id, at: this.scheduler.now(), afterOutcome: this.outcomes.has(id) || this.#done.has(id) });
  }

  ids(): string[] {
    return this.list.map((c) => c.id);
  }

  afterOutcome(): string[] {
    return this.list.filter((c) => c.afterOutcome).map((c) => `${c.id}@${c.at}`);
  }
}

/** The promise's value if it settles within the current turn of the event loop, else 'pending'. */
async function settled<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

/** Runs flush(); a throw escaping the manager into the scheduler is returned instead of thrown. */
function flushCatching(flush: () => void): unknown {
  try {
    flush();
    return undefined;
  } catch (error) {
    return error ?? 'a nullish throw';
  }
}

/** True when the logger call's object carries `error` (as `err`, or any other field), or is it. */
function mentions(call: unknown[], error: unknown): boolean {
  const [obj] = call;
  if (obj === error) return true;
  return obj !== null && typeof obj === 'object' && Object.values(obj as Record<string, unknown>).some((v) => v === error);
}

const quietLogger = () => ({ debug() {}, info() {}, warn() {}, error: vi.fn<(obj: object, msg?: string) => void>() }) satisfies Logger;

const counts = (outcomes: TaskOutcome[]): Pick<ShutdownReport, 'succeeded' | 'failed' | 'cancelled'> => ({
  succeeded: outcomes.filter((o) => o._tag === 'Succeeded').length,
  failed: outcomes.filter((o) => o._tag === 'Failed').length,
  cancelled: outcomes.filter((o) => o._tag === 'Cancelled').length,
});

describe('user code that calls the manager or throws', () => {
  // rxjs reports an observer's throw through config.onUnhandledError, else by re-throwing it on a
  // timer (in virtual time: inside flush; in Node: an uncaught exception). None is set here, so a
  // throw that reaches rxjs shows up as an exception out of flush().
  let previousOnUnhandledError: typeof rxjsConfig.onUnhandledError;
  beforeEach(() => {
    previousOnUnhandledError = rxjsConfig.onUnhandledError;
    rxjsConfig.onUnhandledError = null;
  });
  afterEach(() => {
    rxjsConfig.onUnhandledError = previousOnUnhandledError;
  });

  // 1. Before the transition core, the 'queued' event was emitted before the task enters its queue: the cancel removed
  // nothing, the task was enqueued anyway and took the waiter's turn. The timeout function was
  // called while the slot was being handed to the task it is asked about (already out of the
  // queue, not yet running): cancelling that task finished it, and it was started anyway.
  it.each([
    ['an events$ subscriber cancels it on its queued event', 'events'],
    ['the timeout function cancels it when asked for its attempt', 'timeout'],
  ] as const)('should cancel the queued victim once when %s, run the waiter, and let a drain shutdown resolve', async (_name, from) => {
    await inVirtualTime(async (scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      const calls = new Calls(scheduler, outcomes);
      let cancelResult: string | undefined;
      const timeout: TaskManagerOptions['timeout'] = (callbackName) => {
        if (callbackName === 'cancel-me' && cancelResult === undefined) cancelResult = m.cancel('victim')._tag;
        return 1000;
      };
      const m: TaskManager = createTaskManager({
        scheduler,
        defaultServerLimit: 1,
        ...(from === 'timeout' ? { timeout } : {}),
        providers: [{ name: 'p', servers: ['s'], handle: (t) => (calls.note(t.id), work(10, t.id, scheduler)) }],
      });
      calls.watch(m);
      if (from === 'events') {
        m.events$.subscribe((e) => {
          if (e.type === 'queued' && e.id === 'victim') cancelResult = m.cancel('victim')._tag;
        });
      }
      outcomes.submit(m, { provider: 'p', payload: 0, id: 'runner' });
      outcomes.submit(m, { provider: 'p', payload: 0, id: 'waiter' });
      outcomes.submit(m, { provider: 'p', payload: 0, id: 'victim', callbackName: 'cancel-me' });
      const report = m.shutdown();
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(calls.afterOutcome()).toEqual([]);
      expect(outcomes.of('runner')).toMatchObject([{ _tag: 'Succeeded', value: 'runner' }]);
      expect(outcomes.of('waiter')).toMatchObject([{ _tag: 'Succeeded', value: 'waiter' }]);
      expect(outcomes.of('victim')).toMatchObject([{ _tag: 'Cancelled', reason: 'cancel' }]);
      if (from === 'events') {
        expect(cancelResult).toBe('RemovedFromQueue');
        expect(calls.ids()).toEqual(['runner', 'waiter']);
      } else {
        // Whether the manager asks for the timeout before or after the start is its choice: the
        // cancel then finds the task queued (never started) or running (its attempt interrupted).
        expect(['RemovedFromQueue', 'InterruptedRunning']).toContain(cancelResult);
        expect(calls.ids().slice(0, 2)).toEqual(['runner', 'waiter']);
      }
      expect(await settled(report)).toMatchObject({ mode: 'drain', succeeded: 2, failed: 0, cancelled: 1 });
      expect(m.stats().providers['p']).toMatchObject({ queued: 0, running: 0, succeeded: 2, cancelled: 1 });
    });
  });

  // 2. A handler that regroups budgets while the broker hands out slots on one of them. Before the
  // transition core, the hand-out loop went on with the budget it started on after the handler
  // made it disappear, and read a share that no longer existed: a TypeError out of
  // setServerLimit, into the scheduler.
  it.each([
    ['setServerLimit with new keys for both servers (they leave the prefix budget)', 'set'],
    ['removeServerLimit of the prefix (both servers go back to budgets of their own)', 'remove'],
  ] as const)('should keep every budget within its limit and give every task one outcome when a synchronous handler calls %s during a hand-out', (_name, change) => {
    inVirtualTime((scheduler, flush) => {
      const [prefix, a, b] = ['https://h.example.com', 'https://h.example.com/a', 'https://h.example.com/b'];
      // One prefix budget (paused until t=1) over two servers; p0 lists both, p1 one of them. The
      // watch checks every slot handed out against the attempts really running on its budget.
      const violations: string[] = [];
      const watch = new SlotWatch(localSlotCoordinator({ defaultLimit: 1, limits: { [prefix]: 0 } }), (v) => violations.push(v));
      const outcomes = new Outcomes(scheduler);
      let changed = false;
      const handle = (t: { id: string; payload: unknown }, ctx: { server: string }): unknown => {
        if (t.payload === 'reconfigure' && !changed) {
          changed = true;
          if (change === 'set') {
            m.setServerLimit(a, 2);
            m.setServerLimit(b, 2);
          } else {
            m.removeServerLimit(prefix);
          }
          return 'reconfigured'; // synchronous: it holds its slot only for this call
        }
        return new Observable((subscriber) => {
          watch.start(ctx.server);
          const inner = work(10, t.id, scheduler).subscribe(subscriber);
          return () => {
            inner.unsubscribe();
            watch.end(ctx.server);
          };
        });
      };
      const m: TaskManager = createTaskManager({ scheduler, coordinator: watch.coordinator, providers: [{ name: 'p0', servers: [a, b], handle }, { name: 'p1', servers: [b], handle }] });
      const ids: string[] = [];
      outcomes.submit(m, { provider: 'p0', payload: 'reconfigure', id: 'reconfigure', priority: 9 });
      for (let i = 0; i < 8; i++) {
        const id = `t${i}`;
        ids.push(id);
        outcomes.submit(m, { provider: `p${i % 2}`, payload: 'work', id, priority: i % 3 });
      }
      // One hand-out of three slots on the prefix budget: the first goes to the reconfiguring task.
      scheduler.schedule(() => m.setServerLimit(prefix, 3), 1);
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(changed).toBe(true);
      expect(violations).toEqual([]);
      expect(outcomes.of('reconfigure')).toMatchObject([{ _tag: 'Succeeded', value: 'reconfigured' }]);
      expect(ids.filter((id) => outcomes.of(id).length !== 1 || outcomes.of(id)[0]?._tag !== 'Succeeded')).toEqual([]);
      expect(watch.holding).toBe(0);
      expect([...watch.taken]).toEqual([]);
      expect(m.stats().providers).toMatchObject({ p0: { queued: 0, running: 0 }, p1: { queued: 0, running: 0 } });
    });
  });

  // 3. Before the transition core, isRetryable and the logger's warn ran inside the failure's
  // transition: the cancel decremented `running` a second time and finished the task, then the
  // retry went ahead anyway.
  it.each([
    ['isRetryable', 'isRetryable'],
    ["the logger's warn", 'warn'],
  ] as const)('should end a failing task with one Cancelled outcome and no retry when %s cancels it, with running never negative', (_name, from) => {
    inVirtualTime((scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      const calls = new Calls(scheduler, outcomes);
      const running: number[] = [];
      const sample = (s: StatsSnapshot): void => void running.push(s.providers['p']?.running ?? 0);
      const cancelIt = (): void => {
        m.cancel('t');
        sample(m.stats());
      };
      const m: TaskManager = createTaskManager({
        scheduler,
        retry: {
          maxRetries: 2,
          backoff: { initialDelayMs: 5, jitter: 'none' },
          ...(from === 'isRetryable' ? { isRetryable: () => (cancelIt(), true) } : {}),
        },
        ...(from === 'warn' ? { logger: { debug() {}, info() {}, error() {}, warn: () => cancelIt() } } : {}),
        providers: [{ name: 'p', servers: ['s'], handle: (t) => (calls.note(t.id), timerError(scheduler, 10)) }],
      });
      calls.watch(m);
      m.stats$.subscribe(sample);
      outcomes.submit(m, { provider: 'p', payload: 0, id: 't' });
      const escaped = flushCatching(flush);
      sample(m.stats());
      expect(escaped).toBeUndefined();
      expect(outcomes.of('t')).toMatchObject([{ _tag: 'Cancelled', reason: 'cancel', attempts: 1 }]);
      expect(calls.ids()).toEqual(['t']); // no retry after the cancel
      expect(running.filter((n) => n < 0)).toEqual([]);
      expect(m.stats().providers['p']).toMatchObject({ queued: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, cancelled: 1 });
    });
  });

  // 4. Before the transition core, 'started' was emitted before the handler was called: a cancel
  // from its subscriber finished the task, then the handler was called for a task that already
  // had its outcome.
  it("should never call the handler after the Cancelled outcome when a 'started' subscriber cancels the task", () => {
    inVirtualTime((scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      const calls = new Calls(scheduler, outcomes);
      const m = createTaskManager({
        scheduler,
        abandonAfterMs: 1000,
        providers: [{ name: 'p', servers: ['s'], handle: (t) => (calls.note(t.id), work(50, t.id, scheduler)) }],
      });
      calls.watch(m);
      const running: number[] = [];
      m.stats$.subscribe((s) => running.push(s.providers['p']?.running ?? 0));
      const started: string[] = [];
      m.events$.subscribe((e) => {
        if (e.type !== 'started') return;
        started.push(`${e.id}@${e.at}`);
        if (e.id === 't') m.cancel('t');
      });
      outcomes.submit(m, { provider: 'p', payload: 0, id: 't' });
      outcomes.submit(m, { provider: 'p', payload: 0, id: 'next' });
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(calls.afterOutcome()).toEqual([]);
      expect(outcomes.of('t')).toMatchObject([{ _tag: 'Cancelled', reason: 'cancel' }]);
      expect(outcomes.of('next')).toMatchObject([{ _tag: 'Succeeded', value: 'next' }]);
      expect(started).toContain('next@0'); // the cancelled attempt gave its slot back at once
      expect(running.filter((n) => n < 0)).toEqual([]);
      expect(m.stats().providers['p']).toMatchObject({ running: 0, cancelled: 1, succeeded: 1 });
    });
  });

  // 5. Before the transition core, a task submitted into an empty queue while the broker was busy
  // handing out a slot was started by the hand-out in progress, without ranking it against the
  // other providers' waiting tasks. 'first' fails once; its retry (synchronous) starts when it re-enters its empty queue, so
  // the retry's handler and the task's outcome observer both run inside that hand-out.
  it.each([
    ['a synchronous handler', 'handler'],
    ['the outcome observer of a synchronous task', 'outcome'],
  ] as const)('should start tasks submitted from %s in command, priority order across two providers on one server', (_name, from) => {
    inVirtualTime((scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      const startOrder: string[] = [];
      let spawned = false;
      const spawn = (): void => {
        if (spawned) return;
        spawned = true;
        const low = (): void => outcomes.submit(m, { provider: 'A', payload: 'work', id: 'low', priority: 0 });
        const high = (): void => outcomes.submit(m, { provider: 'B', payload: 'work', id: 'high', priority: 5 });
        const command = (): void => {
          const r = m.command('B', () => (startOrder.push('command'), work(10, 'cmd', scheduler)), { id: 'command' });
          if (!isRight(r)) throw new Error('command refused');
          outcomes.follow('command', r.right.outcome$);
        };
        // The handler runs while its own attempt holds the slot: all three wait, then go in rank
        // order. The outcome observer may run once that slot is free again, so its first
        // submission may start at once: it submits the command first, so the order is the same.
        if (from === 'handler') [low, high, command].forEach((submit) => submit());
        else [command, high, low].forEach((submit) => submit());
      };
      const handle = (t: { id: string }, ctx: { attempt: number }): unknown => {
        startOrder.push(`${t.id}#${ctx.attempt}`);
        if (t.id !== 'first') return work(10, t.id, scheduler);
        if (ctx.attempt === 1) throw new Error('first attempt fails');
        if (from === 'handler') spawn();
        return 'done'; // synchronous
      };
      const m: TaskManager = createTaskManager({
        scheduler,
        defaultServerLimit: 1,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 5, jitter: 'none' } },
        providers: [{ name: 'A', servers: ['s'], handle }, { name: 'B', servers: ['s'], handle }],
      });
      const r = m.submit({ provider: 'A', payload: 'work', id: 'first' });
      if (!isRight(r)) throw new Error('refused');
      if (from === 'outcome') r.right.outcome$.subscribe(() => spawn());
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(spawned).toBe(true);
      expect(startOrder).toEqual(['first#1', 'first#2', 'command', 'high#1', 'low#1']);
      for (const id of ['command', 'high', 'low']) expect(outcomes.of(id)).toMatchObject([{ _tag: 'Succeeded' }]);
    });
  });

  // 6. Before the transition core, the cancel arrived while the handler's Observable was being
  // subscribed, before the attempt held its subscription: the attempt was treated like a Promise
  // that ignores its signal and kept the slot until abandonAfterMs.
  it('should free the slot at once and run the teardown when an Observable handler cancels its own task inside its subscribe', () => {
    inVirtualTime((scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      let teardowns = 0;
      const started: string[] = [];
      const m: TaskManager = createTaskManager({
        scheduler,
        abandonAfterMs: 5000,
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (t) =>
            t.id === 'self'
              ? new Observable<string>(() => {
                  m.cancel('self');
                  return () => void teardowns++;
                })
              : work(10, t.id, scheduler),
        }],
      });
      m.events$.subscribe((e) => e.type === 'started' && started.push(`${e.id}@${e.at}`));
      outcomes.submit(m, { provider: 'p', payload: 0, id: 'self' });
      outcomes.submit(m, { provider: 'p', payload: 0, id: 'next' });
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(outcomes.of('self')).toMatchObject([{ _tag: 'Cancelled', reason: 'cancel', attempts: 1 }]);
      expect(started).toEqual(['self@0', 'next@0']);
      expect(outcomes.byId.get('next')?.map((o) => [o.at, o.outcome._tag])).toEqual([[10, 'Succeeded']]);
      expect(teardowns).toBe(1);
    });
  });

  // 7. Before the transition core, a throwing subscriber's error went to rxjs's unhandled-error
  // path: re-thrown on a timer (a crash in Node; out of flush() in virtual time), never logged.
  it('should log (not throw) the error of a throwing events$ subscriber, once per throw, and keep feeding the other subscribers', () => {
    inVirtualTime((scheduler, flush) => {
      const logger = quietLogger();
      const outcomes = new Outcomes(scheduler);
      const m = createTaskManager({ scheduler, logger, defaultServerLimit: 2, providers: [{ name: 'p', servers: ['s'], handle: (t) => work(5, t.id, scheduler) }] });
      const thrown: Error[] = [];
      m.events$.subscribe((e) => {
        const error = new Error(`bad subscriber on ${e.type} of ${e.id}`);
        thrown.push(error);
        throw error;
      });
      const seen: TaskEvent[] = [];
      m.events$.subscribe((e) => seen.push(e));
      let escapedSubmit: unknown;
      try {
        for (const id of ['a', 'b', 'c']) outcomes.submit(m, { provider: 'p', payload: 0, id });
      } catch (error) {
        escapedSubmit = error;
      }
      const escaped = flushCatching(flush);
      expect(escapedSubmit).toBeUndefined();
      expect(escaped).toBeUndefined();
      const typesOf = (id: string): string[] => seen.filter((e) => e.id === id).map((e) => e.type);
      expect(typesOf('a')).toEqual(['queued', 'started', 'succeeded']);
      expect(typesOf('b')).toEqual(['queued', 'started', 'succeeded']);
      expect(typesOf('c')).toEqual(['queued', 'waiting-for-slot', 'started', 'succeeded']);
      expect(thrown).toHaveLength(seen.length); // the thrower was called for every event too
      for (const id of ['a', 'b', 'c']) expect(outcomes.of(id)).toMatchObject([{ _tag: 'Succeeded' }]);
      const calls = logger.error.mock.calls as unknown[][];
      expect(thrown.map((error) => calls.filter((call) => mentions(call, error)).length)).toEqual(thrown.map(() => 1));
    });
  });

  it('should log (not throw) the error of a throwing stats$ subscriber, once per throw, and keep feeding the other subscribers', () => {
    inVirtualTime((scheduler, flush) => {
      const logger = quietLogger();
      const outcomes = new Outcomes(scheduler);
      const m = createTaskManager({ scheduler, logger, providers: [{ name: 'p', servers: ['s'], handle: (t) => work(5, t.id, scheduler) }] });
      const thrown: Error[] = [];
      let emissions = 0;
      // The snapshot given at subscription is delivered inside the subscriber's own subscribe()
      // call; the throws counted here are those of later, manager-driven emissions.
      m.stats$.subscribe(() => {
        if (emissions++ === 0) return;
        const error = new Error(`bad stats subscriber #${emissions}`);
        thrown.push(error);
        throw error;
      });
      const seen: StatsSnapshot[] = [];
      m.stats$.subscribe((s) => seen.push(s));
      for (const id of ['a', 'b', 'c']) outcomes.submit(m, { provider: 'p', payload: 0, id });
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(thrown.length).toBeGreaterThan(0);
      expect(seen).toHaveLength(emissions); // the same snapshots as the thrower
      expect(seen.at(-1)?.providers['p']).toMatchObject({ queued: 0, running: 0, succeeded: 3 });
      for (const id of ['a', 'b', 'c']) expect(outcomes.of(id)).toMatchObject([{ _tag: 'Succeeded' }]);
      const calls = logger.error.mock.calls as unknown[][];
      expect(thrown.map((error) => calls.filter((call) => mentions(call, error)).length)).toEqual(thrown.map(() => 1));
    });
  });

  // 8. Before the transition core, the outcome was emitted while the attempt still held its slot
  // (and its id): DuplicateId.
  it("should accept a re-submission of a task's id from its own outcome observer, and run it to its outcome", () => {
    inVirtualTime((scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      const m = createTaskManager({ scheduler, providers: [{ name: 'p', servers: ['s'], handle: (t) => work(5, t.payload, scheduler) }] });
      const first = m.submit({ provider: 'p', payload: 'first', id: 't' });
      if (!isRight(first)) throw new Error('refused');
      let again: string | undefined;
      first.right.outcome$.subscribe(() => {
        const r = m.submit({ provider: 'p', payload: 'second', id: 't' });
        again = isRight(r) ? 'Right' : r.left._tag;
        if (isRight(r)) outcomes.follow('t#2', r.right.outcome$);
      });
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(again).toBe('Right');
      expect(outcomes.byId.get('t#2')?.map((o) => [o.at, o.outcome])).toEqual([[10, expect.objectContaining({ _tag: 'Succeeded', value: 'second', id: 't' })]]);
    });
  });

  // 9. Before the transition core, handle.events$ was a filter over the global stream, subscribed
  // on demand: what happened inside submit was lost, and every handle subscriber cost a global
  // subscription (O(handles) per event).
  it("should replay a task's own events from 'queued' on to a handle.events$ subscriber that subscribes after submit returned, then complete after the outcome", () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 3, jitter: 'none' } },
        providers: [{ name: 'p', servers: ['s'], handle: (t, ctx) => (t.id === 'b' && ctx.attempt === 1 ? timerError(scheduler, 4) : work(5, t.id, scheduler)) }],
      });
      const ha = m.submit({ provider: 'p', payload: 0, id: 'a' });
      const hb = m.submit({ provider: 'p', payload: 0, id: 'b' });
      if (!isRight(ha) || !isRight(hb)) throw new Error('refused');
      const log: string[] = [];
      for (const h of [ha.right, hb.right]) {
        h.events$.subscribe({ next: (e) => log.push(`${e.id}:${e.type}@${e.at}`), complete: () => log.push(`${h.id}:complete`) });
      }
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(log.filter((l) => l.startsWith('a:'))).toEqual(['a:queued@0', 'a:started@0', 'a:succeeded@5', 'a:complete']);
      expect(log.filter((l) => l.startsWith('b:'))).toEqual([
        'b:queued@0', 'b:waiting-for-slot@0', 'b:started@5', 'b:retrying@9', 'b:started@12', 'b:succeeded@17', 'b:complete',
      ]);
    });
  });

  it('should serve 1,000 handle.events$ subscribers without a global events$ subscription per handle', () => {
    inVirtualTime((scheduler, flush) => {
      const m = createTaskManager({ scheduler, defaultServerLimit: 4, providers: [{ name: 'p', servers: ['s'], handle: (t) => work(1, t.id, scheduler) }] });
      // The public events$ is the only global stream a handle could filter: count live subscriptions to it.
      let live = 0;
      let most = 0;
      const original = m.events$.subscribe.bind(m.events$);
      vi.spyOn(m.events$, 'subscribe').mockImplementation(((...args: Parameters<typeof original>) => {
        const subscription = original(...args);
        live++;
        most = Math.max(most, live);
        subscription.add(() => live--);
        return subscription;
      }) as typeof m.events$.subscribe);
      const done: string[] = [];
      const events = new Map<string, string[]>();
      for (let i = 0; i < 1000; i++) {
        const r = m.submit({ provider: 'p', payload: 0, id: `t${i}` });
        if (!isRight(r)) throw new Error('refused');
        const id = r.right.id;
        r.right.events$.subscribe({ next: (e) => events.set(id, [...(events.get(id) ?? []), e.type]), complete: () => done.push(id) });
      }
      expect(most).toBeLessThanOrEqual(1);
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(done).toHaveLength(1000);
      expect([...events.values()].filter((types) => types[0] !== 'queued' || types.at(-1) !== 'succeeded')).toEqual([]);
      expect(most).toBeLessThanOrEqual(1);
    });
  });

  // 10. A shutdown requested from user code. One slot: 'first' runs 0-5, then 'fails' fails at
  // once (its retry waits a backoff) and 'stopper' starts while 'queued-1' and 'queued-2' wait.
  // - handler: the stopper's handler asks for the shutdown (this one passed before the transition
  //   core too: the handler's own running task kept the manager from stopping inside the call);
  // - events: an events$ subscriber asks for it on the 'queued' event of 'first', the only task
  //   then (the later submissions are refused). Before the transition core, 'first' was
  //   cancelled before it entered its queue, the manager stopped inside submit, and the queue's
  //   count was left at -1;
  // - outcome: the budget is paused, and the outcome observer of 'queued-1' (cancelled by the test)
  //   asks for it (before the transition core, the cancels emptied the manager, which stopped
  //   inside shutdown(); the grace period's timer was booked after the stop and left behind; a
  //   top-level shutdown({ mode: 'cancel', graceMs }) with every live task queued did the same).
  it.each([
    ['a handler', 'handler'],
    ['an events$ subscriber', 'events'],
    ['an outcome observer', 'outcome'],
  ] as const)('should resolve a shutdown called from %s with counts equal to the outcomes, call no handler after its outcome, and leave no timer', async (_name, from) => {
    await inVirtualTime(async (scheduler, flush) => {
      const outcomes = new Outcomes(scheduler);
      const calls = new Calls(scheduler, outcomes);
      const clock = new CountingScheduler(scheduler);
      let report: Promise<ShutdownReport> | undefined;
      const stop = (): void => {
        report ??= m.shutdown({ mode: 'cancel', graceMs: 100 });
      };
      const m: TaskManager = createTaskManager({
        scheduler: clock,
        defaultServerLimit: from === 'outcome' ? 0 : 1,
        retry: { maxRetries: 1, backoff: { initialDelayMs: 1, jitter: 'none' } },
        providers: [{
          name: 'p',
          servers: ['s'],
          handle: (t) => {
            calls.note(t.id);
            if (t.id === 'stopper' && from === 'handler') stop();
            return t.id === 'fails' ? throwError(() => new Error('fails')) : work(5, t.id, scheduler);
          },
        }],
      });
      calls.watch(m);
      m.events$.subscribe({ complete: () => (clock.stoppedAt = scheduler.now()) });
      if (from === 'events') m.events$.subscribe((e) => e.type === 'queued' && e.id === 'first' && stop());
      const accepted: string[] = [];
      for (const id of ['first', 'fails', 'stopper', 'queued-1', 'queued-2']) {
        const r = m.submit({ provider: 'p', payload: 0, id });
        if (!isRight(r)) {
          expect({ id, rejection: r.left._tag, shutdownAsked: report !== undefined }).toEqual({ id, rejection: 'ShuttingDown', shutdownAsked: true });
          continue;
        }
        accepted.push(id);
        // The observer comes before the test's own, so the shutdown happens inside the outcome's delivery.
        if (from === 'outcome' && id === 'queued-1') r.right.outcome$.subscribe(() => stop());
        outcomes.follow(id, r.right.outcome$);
      }
      if (from === 'outcome') scheduler.schedule(() => m.cancel('queued-1'), 2);
      const escaped = flushCatching(flush);
      expect(escaped).toBeUndefined();
      expect(report).toBeDefined();
      const result = await settled(report as Promise<ShutdownReport>);
      expect(result).not.toBe('pending');
      expect(accepted).toContain('first');
      expect(accepted.filter((id) => outcomes.of(id).length !== 1)).toEqual([]);
      const all = [...outcomes.byId.keys()].flatMap((id) => outcomes.of(id));
      expect(result).toMatchObject(counts(all));
      expect(m.stats().providers['p']).toMatchObject({ queued: 0, waiting: 0, running: 0, ...counts(all) });
      expect(calls.afterOutcome()).toEqual([]);
      expect(clock.stoppedAt).toBeDefined();
      expect(clock.ranAfterStop).toBe(0); // no action of the manager was left booked at its stop
      expect(clock.pending.size).toBe(0);
    });
  });
});

/** An Observable handler that fails after `ms`. */
function timerError(scheduler: TestScheduler, ms: number): Observable<never> {
  return new Observable<never>((subscriber) => scheduler.schedule(() => subscriber.error(new Error('failed')), ms));
}
