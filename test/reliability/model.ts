import { isRight } from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import {
  EMPTY,
  mergeMap,
  NEVER,
  Observable,
  throwError,
  timer,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import {
  createTaskManager,
  isSlotWaitTimeoutError,
  isTaskTimeoutError,
  localSlotCoordinator,
  NonRetryableError,
  normalizeServerKey,
  type CancelResult,
  type Provider,
  type ShutdownReport,
  type SlotCoordinator,
  type TaskEvent,
  type TaskManager,
  type TaskOutcome,
} from '../../src/index.js';
import { InvariantChecker, seeded } from '../helpers/invariants.js';
import { virtualPromise, work } from '../helpers/virtual.js';

// A random model of a whole manager's life, and a runner that plays it in virtual time and lists
// every broken promise. The arbitraries produce plain data, so fast-check can print and shrink a
// failing model, and a shrunk one can be pasted into a regular test.

/** Pool entries: URLs with query/fragment (normalised away), ports, paths, and plain names. */
export const SERVER_UNIVERSE = [
  'https://a.example.com/x',
  'https://a.example.com/y?v=1',
  'https://a.example.com:8443/z',
  'https://b.example.com/api/v1',
  'https://b.example.com/api2#f',
  'gpu-1',
  'gpu-2',
  'http://c.example.com:8080/render',
] as const;

/** Limit keys that are prefixes of several servers above (one budget shared by all of them). */
export const PREFIX_KEYS = ['https://a.example.com', 'https://b.example.com/api', 'https://b.example.com', 'http://c.example.com:8080'] as const;

export type Kind = 'ok' | 'flaky' | 'hang' | 'ignore' | 'throw' | 'nonretryable' | 'empty' | 'command';

export interface TaskSpec {
  readonly at: number;
  readonly provider: number;
  readonly priority: number;
  readonly kind: Kind;
  /** ok/flaky/empty/command: how long an attempt runs; ignore: how far past its timeout it settles. */
  readonly duration: number;
  /** flaky/throw: attempts that fail before one succeeds. */
  readonly failFirst: number;
  readonly maxRetries: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly callbackName: 'fast' | 'slow' | undefined;
}

export type Op =
  | { readonly at: number; readonly type: 'cancel'; readonly task: number }
  | { readonly at: number; readonly type: 'cancelUnknown' }
  | { readonly at: number; readonly type: 'limit'; readonly key: string; readonly limit: number }
  | { readonly at: number; readonly type: 'removeLimit'; readonly key: string }
  | { readonly at: number; readonly type: 'pool'; readonly provider: number; readonly servers: readonly number[] }
  | { readonly at: number; readonly type: 'dup'; readonly task: number }
  | { readonly at: number; readonly type: 'bad'; readonly variant: number };

export interface Model {
  /** Indices into `servers`. */
  readonly pools: readonly (readonly number[])[];
  readonly servers: readonly string[];
  readonly limits: ReadonlyArray<readonly [string, number]>;
  readonly defaultLimit: number;
  readonly maxRetries: number;
  readonly backoff: { readonly initialDelayMs: number; readonly jitter: 'none' | 'full' | 'equal' | 'decorrelated' };
  /** The manager's timeout: a number, or 'fn' for a function of the callback name. */
  readonly timeout: number | 'fn';
  readonly abandonAfterMs: number | undefined;
  readonly slotWaitMs: number | undefined;
  readonly seed: number;
  readonly tasks: readonly TaskSpec[];
  readonly ops: readonly Op[];
  readonly shutdown: { readonly at: number; readonly mode: 'drain' | 'cancel'; readonly graceMs: number | undefined };
}

/** When the model gives every budget room and every pool a server again, so a drain can end. */
export const RESTORE_AT = 4000;
const SPAN = 3000;

const limitValue = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 4 }), weight: 5 }, { arbitrary: fc.constant(Infinity), weight: 1 });

const kindArb: fc.Arbitrary<Kind> = fc.oneof(
  { arbitrary: fc.constant<Kind>('ok'), weight: 50 },
  { arbitrary: fc.constant<Kind>('flaky'), weight: 14 },
  { arbitrary: fc.constant<Kind>('hang'), weight: 6 },
  { arbitrary: fc.constant<Kind>('ignore'), weight: 6 },
  { arbitrary: fc.constant<Kind>('throw'), weight: 7 },
  { arbitrary: fc.constant<Kind>('nonretryable'), weight: 4 },
  { arbitrary: fc.constant<Kind>('empty'), weight: 5 },
  { arbitrary: fc.constant<Kind>('command'), weight: 5 },
);

function taskArb(providers: number, span: number): fc.Arbitrary<TaskSpec> {
  return fc.record({
    at: fc.integer({ min: 0, max: span }),
    provider: fc.integer({ min: 0, max: providers - 1 }),
    priority: fc.oneof({ arbitrary: fc.integer({ min: -3, max: 5 }), weight: 9 }, { arbitrary: fc.constantFrom(0.5, -1.25, 1e9), weight: 1 }),
    kind: kindArb,
    duration: fc.integer({ min: 1, max: 50 }),
    failFirst: fc.integer({ min: 1, max: 3 }),
    maxRetries: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    timeoutMs: fc.option(fc.integer({ min: 60, max: 200 }), { nil: undefined }),
    callbackName: fc.option(fc.constantFrom<'fast' | 'slow'>('fast', 'slow'), { nil: undefined }),
  });
}

function opArb(providers: number, servers: number, span: number): fc.Arbitrary<Op> {
  const at = fc.integer({ min: 0, max: span });
  const key = fc.constantFrom<string>(...SERVER_UNIVERSE, ...PREFIX_KEYS);
  return fc.oneof(
    { arbitrary: fc.record({ at, type: fc.constant('cancel' as const), task: fc.nat() }), weight: 6 },
    { arbitrary: fc.record({ at, type: fc.constant('cancelUnknown' as const) }), weight: 1 },
    { arbitrary: fc.record({ at, type: fc.constant('limit' as const), key, limit: limitValue }), weight: 5 },
    { arbitrary: fc.record({ at, type: fc.constant('removeLimit' as const), key }), weight: 1 },
    {
      arbitrary: fc.record({
        at,
        type: fc.constant('pool' as const),
        provider: fc.integer({ min: 0, max: providers - 1 }),
        servers: fc.uniqueArray(fc.integer({ min: 0, max: servers - 1 }), { maxLength: servers }),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ at, type: fc.constant('dup' as const), task: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ at, type: fc.constant('bad' as const), variant: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
  );
}

/** A whole model: 1-5 providers over 1-6 servers, `minTasks`-`maxTasks` tasks, random ops and a shutdown. */
export function modelArb(minTasks: number, maxTasks: number): fc.Arbitrary<Model> {
  return fc
    .record({
      servers: fc.uniqueArray(fc.constantFrom(...SERVER_UNIVERSE), { minLength: 1, maxLength: 6 }),
      providers: fc.integer({ min: 1, max: 5 }),
      span: fc.integer({ min: 20, max: SPAN }),
    })
    .chain(({ servers, providers, span }) =>
      fc.record({
        pools: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: servers.length - 1 }), { minLength: 1, maxLength: servers.length }), {
          minLength: providers,
          maxLength: providers,
        }),
        servers: fc.constant(servers),
        limits: fc.array(fc.tuple(fc.constantFrom<string>(...servers, ...PREFIX_KEYS), fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Infinity))), {
          maxLength: 4,
        }),
        defaultLimit: fc.integer({ min: 1, max: 3 }),
        maxRetries: fc.integer({ min: 0, max: 2 }),
        backoff: fc.record({
          initialDelayMs: fc.integer({ min: 0, max: 50 }),
          jitter: fc.constantFrom<'none' | 'full' | 'equal' | 'decorrelated'>('none', 'full', 'equal', 'decorrelated'),
        }),
        timeout: fc.oneof(fc.constant(100), fc.constant<'fn'>('fn')),
        abandonAfterMs: fc.option(fc.integer({ min: 10, max: 400 }), { nil: undefined }),
        slotWaitMs: fc.option(fc.integer({ min: 50, max: 2000 }), { nil: undefined, freq: 4 }),
        seed: fc.nat(),
        tasks: fc.array(taskArb(providers, span), { minLength: minTasks, maxLength: maxTasks, size: 'max' }),
        ops: fc.array(opArb(providers, servers.length, span), { maxLength: Math.max(8, Math.floor(maxTasks / 4)), size: 'max' }),
        shutdown: fc.record({
          // Mostly late, so most tasks are accepted; sometimes anywhere, even before the first task.
          at: fc.oneof({ arbitrary: fc.integer({ min: Math.floor(span * 0.7), max: span + 500 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: span }), weight: 1 }),
          mode: fc.constantFrom<'drain' | 'cancel'>('drain', 'cancel'),
          graceMs: fc.option(fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constant(Infinity)), { nil: undefined }),
        }),
      }),
    );
}

/** The manager's timeout for a callback name when the model uses a function. */
const timeoutFn = (callbackName: string): number => (callbackName === 'fast' ? 70 : callbackName === 'slow' ? 180 : 100);

/**
 * A scheduler that forwards to the TestScheduler and remembers which of its actions are still
 * due, and where each was booked from (the manager books on its scheduler in two places: the
 * timeline of timeouts/backoffs/grace periods, and the coalesced stats$ flush).
 */
export class CountingScheduler implements SchedulerLike {
  readonly pending = new Map<Subscription, 'stats' | 'timeline'>();
  constructor(readonly inner: SchedulerLike) {}

  now(): number {
    return this.inner.now();
  }

  /** Actions still due, by where they were booked from. */
  count(origin: 'stats' | 'timeline'): number {
    let n = 0;
    for (const o of this.pending.values()) if (o === origin) n++;
    return n;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay?: number, state?: T): Subscription {
    const pending = this.pending;
    const origin = /statsChanged/.test(new Error().stack ?? '') ? 'stats' : 'timeline';
    let subscription: Subscription | undefined = undefined;
    const wrapped = function (this: SchedulerAction<T>, s: T): void {
      if (subscription !== undefined) pending.delete(subscription);
      work.call(this, s);
    };
    subscription = this.inner.schedule(wrapped as (this: SchedulerAction<T>, state?: T) => void, delay, state as T);
    pending.set(subscription, origin);
    const added = subscription;
    subscription.add(() => pending.delete(added));
    return subscription;
  }
}

/**
 * Counts the attempts holding a slot per server key, whatever the handler's kind (the shared
 * checker only sees Observable handlers), and checks the limit at every start against the budget
 * the server belongs to *now*: after a prefix limit comes or goes, running work counts where it
 * now belongs.
 */
export class SlotTracker {
  readonly violations: string[] = [];
  readonly #perServer = new Map<string, number>();
  readonly #running = new Map<string, string>(); // attempt key -> server key
  readonly #runningTasks = new Set<string>();

  constructor(readonly coordinator: SlotCoordinator) {}

  start(taskId: string, attempt: number, server: string): void {
    const key = normalizeServerKey(server);
    this.#perServer.set(key, (this.#perServer.get(key) ?? 0) + 1);
    this.#running.set(`${taskId}#${attempt}`, key);
    const budget = this.coordinator.budgetOf(key);
    let inBudget = 0;
    for (const [serverKey, n] of this.#perServer) if (this.coordinator.budgetOf(serverKey) === budget) inBudget += n;
    const { limit } = this.coordinator.budget(budget);
    if (inBudget > limit) this.violations.push(`budget ${budget}: ${inBudget} attempts > limit ${limit} at the start of ${taskId}#${attempt}`);
    if (this.#runningTasks.has(taskId)) this.violations.push(`${taskId}: attempt ${attempt} started while another attempt held a slot`);
    this.#runningTasks.add(taskId);
  }

  end(taskId: string, attempt: number): void {
    const key = this.#running.get(`${taskId}#${attempt}`);
    if (key === undefined) return;
    this.#running.delete(`${taskId}#${attempt}`);
    this.#runningTasks.delete(taskId);
    const n = (this.#perServer.get(key) ?? 1) - 1;
    if (n === 0) this.#perServer.delete(key);
    else this.#perServer.set(key, n);
  }

  get holding(): number {
    return this.#running.size;
  }
}

interface TaskState {
  readonly spec: TaskSpec;
  readonly id: string;
  accepted: boolean;
  submittedAt: number;
  outcome: TaskOutcome | undefined;
  outcomeAt: number;
  outcomes: number;
  /** The first cancel call's result, when it found the task live. */
  cancelled: CancelResult | undefined;
  starts: number;
  lastServer: string | undefined;
}

export interface RunResult {
  readonly violations: string[];
  readonly accepted: number;
  readonly starts: number;
  readonly outcomes: Record<TaskOutcome['_tag'], number>;
  readonly report: ShutdownReport | undefined;
}

const CANCEL_HITS = new Set(['RemovedFromQueue', 'InterruptedRunning', 'CancelledWhileWaiting']);

/**
 * Plays a model in virtual time. Synchronous up to the end of the flush; the returned promise
 * awaits the shutdown report, then checks the end state and the report.
 */
export function runModel(model: Model, scheduler: TestScheduler, flush: () => void): Promise<RunResult> {
  const violations: string[] = [];
  const fail = (message: string): void => {
    if (violations.length < 50) violations.push(message);
  };
  const clock = new CountingScheduler(scheduler);
  const coordinator = localSlotCoordinator({ limits: Object.fromEntries(model.limits), defaultLimit: model.defaultLimit });
  const names = model.pools.map((_, i) => `p${i}`);
  const poolOf = (indices: readonly number[]): string[] => indices.map((i) => model.servers[i] as string);
  const pools = new Map<string, readonly string[]>(model.pools.map((pool, i) => [names[i] as string, poolOf(pool)]));
  const checker = new InvariantChecker(coordinator, pools);
  const tracker = new SlotTracker(coordinator);
  const tasks: TaskState[] = model.tasks.map((spec, i) => ({
    spec,
    id: `t${i}`,
    accepted: false,
    submittedAt: -1,
    outcome: undefined,
    outcomeAt: -1,
    outcomes: 0,
    cancelled: undefined,
    starts: 0,
    lastServer: undefined,
  }));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let stopped = false;
  let shutdownAt = Infinity;
  let pendingAtStop = -1;
  const rejectedIds = new Set<string>();

  const effectiveTimeout = (spec: TaskSpec): number =>
    spec.kind === 'command' ? (model.timeout === 'fn' ? timeoutFn('') : model.timeout) : (spec.timeoutMs ?? (model.timeout === 'fn' ? timeoutFn(spec.callbackName ?? '') : model.timeout));
  const effectiveRetries = (spec: TaskSpec): number => (spec.kind === 'command' ? 0 : (spec.maxRetries ?? model.maxRetries));

  /** Wraps an Observable attempt so both the shared checker and the tracker see it hold its slot. */
  const tracked = <T>(id: string, attempt: number, server: string, work$: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      tracker.start(id, attempt, server);
      const inner = checker.track(id, server, work$).subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        tracker.end(id, attempt);
      };
    });

  const handle = (id: string, ctx: { server: string; attempt: number }): unknown => {
    if (stopped) fail(`${id}: handler called after the manager stopped`);
    const state = byId.get(id) as TaskState;
    const { spec } = state;
    const value = `${id}@${ctx.attempt}`;
    switch (spec.kind) {
      case 'ok':
      case 'command':
        return tracked(id, ctx.attempt, ctx.server, work(spec.duration, value, scheduler));
      case 'empty':
        return tracked(id, ctx.attempt, ctx.server, timer(spec.duration, scheduler).pipe(mergeMap(() => EMPTY)));
      case 'flaky':
        return ctx.attempt <= spec.failFirst
          ? tracked(id, ctx.attempt, ctx.server, timer(spec.duration, scheduler).pipe(mergeMap(() => throwError(() => new Error(`flaky ${id}#${ctx.attempt}`)))))
          : tracked(id, ctx.attempt, ctx.server, work(spec.duration, value, scheduler));
      case 'hang':
        return tracked(id, ctx.attempt, ctx.server, NEVER);
      case 'ignore': {
        // A Promise handler that ignores its signal and settles well after its timeout.
        tracker.start(id, ctx.attempt, ctx.server);
        const promise = virtualPromise(effectiveTimeout(spec) + spec.duration, value, scheduler);
        promise.then(() => tracker.end(id, ctx.attempt));
        return promise;
      }
      case 'throw':
        tracker.start(id, ctx.attempt, ctx.server);
        tracker.end(id, ctx.attempt);
        if (ctx.attempt <= spec.failFirst) throw `thrown ${id}#${ctx.attempt}`; // a non-Error value
        return value;
      case 'nonretryable':
        tracker.start(id, ctx.attempt, ctx.server);
        tracker.end(id, ctx.attempt);
        throw new NonRetryableError(`cause ${id}`);
    }
  };

  const providers: Provider[] = names.map((name) => ({
    name,
    servers: pools.get(name) as string[],
    handle: (task, ctx) => handle(task.id, ctx),
  }));
  const m: TaskManager = createTaskManager({
    providers,
    coordinator,
    scheduler: clock,
    random: seeded(model.seed),
    retry: { maxRetries: model.maxRetries, backoff: { ...model.backoff, maxDelayMs: 200 } },
    timeout: model.timeout === 'fn' ? (callbackName) => timeoutFn(callbackName) : model.timeout,
    ...(model.abandonAfterMs !== undefined ? { abandonAfterMs: model.abandonAfterMs } : {}),
    ...(model.slotWaitMs !== undefined ? { slotWait: { maxWaitMs: model.slotWaitMs } } : {}),
  });
  checker.watch(m);

  m.events$.subscribe({
    next: (event: TaskEvent) => {
      if (stopped) fail(`event ${event.type} of ${event.id} after the manager stopped`);
      if (rejectedIds.has(event.id)) fail(`event ${event.type} for the rejected submission ${event.id}`);
      const state = byId.get(event.id);
      if (state === undefined) return;
      if (event.type === 'started') {
        state.starts++;
        state.lastServer = event.server;
        if (event.attempt !== state.starts) fail(`${event.id}: started attempt ${event.attempt}, expected ${state.starts}`);
      } else if (event.type === 'abandoned') {
        tracker.end(event.id, event.attempt); // the manager gave the slot back
      }
    },
    complete: () => {
      stopped = true;
      // The stats$ flush left booked at the stop is covered by its own test in regressions.spec.ts.
      pendingAtStop = clock.count('timeline');
    },
  });
  let statsAfterStop = 0;
  let statsCompleted = false;
  m.stats$.subscribe({
    next: () => {
      if (statsCompleted) statsAfterStop++;
    },
    complete: () => {
      statsCompleted = true;
    },
  });

  // Submissions.
  tasks.forEach((state) => {
    scheduler.schedule(() => {
      const { spec, id } = state;
      const name = names[spec.provider] as string;
      checker.noteSubmit(id, spec.kind === 'command' ? 0 : spec.priority, spec.kind === 'command');
      const submitted =
        spec.kind === 'command'
          ? m.command(name, (ctx) => handle(id, ctx), { id })
          : m.submit({
              provider: name,
              payload: spec.kind,
              id,
              priority: spec.priority,
              ...(spec.maxRetries !== undefined ? { maxRetries: spec.maxRetries } : {}),
              ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
              ...(spec.callbackName !== undefined ? { callbackName: spec.callbackName } : {}),
            });
      if (scheduler.now() >= shutdownAt) {
        if (isRight(submitted) || submitted.left._tag !== 'ShuttingDown') fail(`${id}: submitted during shutdown, got ${JSON.stringify(submitted)}`);
        rejectedIds.add(id);
        return;
      }
      if (!isRight(submitted)) {
        fail(`${id}: refused ${JSON.stringify(submitted.left)}`);
        return;
      }
      state.accepted = true;
      state.submittedAt = scheduler.now();
      submitted.right.outcome$.subscribe((outcome) => {
        state.outcomes++;
        if (state.outcome === undefined) {
          state.outcome = outcome;
          state.outcomeAt = scheduler.now();
        }
      });
    }, state.spec.at);
  });

  // Operations.
  let badSeq = 0;
  for (const op of model.ops) {
    scheduler.schedule(() => {
      switch (op.type) {
        case 'cancel': {
          const state = tasks[op.task % tasks.length] as TaskState;
          const hadOutcome = state.outcome !== undefined;
          const stoppedBefore = stopped; // cancelling the last live task stops the manager
          const result = m.cancel(state.id);
          if (stoppedBefore) {
            if (result._tag !== 'ShutDown') fail(`cancel after stop returned ${result._tag}`);
          } else if (CANCEL_HITS.has(result._tag)) {
            // A second cancel of a cancelled task may repeat the first result while its id is held.
            const repeat = hadOutcome && state.cancelled !== undefined && state.cancelled._tag === result._tag;
            if (!state.accepted || (hadOutcome && !repeat)) fail(`cancel of ${state.id} returned ${result._tag} though it was ${state.accepted ? 'finished' : 'never accepted'}`);
            state.cancelled ??= result;
          } else if (result._tag === 'NotFound') {
            if (state.accepted && !hadOutcome) fail(`cancel of the live task ${state.id} returned NotFound`);
          } else {
            fail(`cancel of ${state.id} returned ${result._tag} before the stop`);
          }
          return;
        }
        case 'cancelUnknown': {
          const result = m.cancel('ghost');
          if (result._tag !== (stopped ? 'ShutDown' : 'NotFound')) fail(`cancel of an unknown id returned ${result._tag}`);
          return;
        }
        case 'limit':
          m.setServerLimit(op.key, op.limit);
          return;
        case 'removeLimit':
          m.removeServerLimit(op.key);
          return;
        case 'pool': {
          const name = names[op.provider % names.length] as string;
          const pool = poolOf(op.servers.filter((i) => i < model.servers.length));
          pools.set(name, pool);
          const updated = m.updateProviderServers(name, pool);
          // Refused only once stopped, which needs a shutdown first.
          const stoppedRefusal = !isRight(updated) && updated.left._tag === 'ShuttingDown' && scheduler.now() >= shutdownAt;
          if (!isRight(updated) && !stoppedRefusal) fail(`updateProviderServers(${name}) refused a valid pool: ${JSON.stringify(updated)}`);
          return;
        }
        case 'dup': {
          const state = tasks[op.task % tasks.length] as TaskState;
          if (!state.accepted || state.outcome !== undefined) return; // only a live id must be refused
          const r = m.submit({ provider: names[0] as string, payload: 'dup', id: state.id });
          const expected = scheduler.now() >= shutdownAt ? 'ShuttingDown' : 'DuplicateId';
          if (isRight(r) || r.left._tag !== expected) fail(`duplicate ${state.id}: expected ${expected}, got ${JSON.stringify(r)}`);
          return;
        }
        case 'bad': {
          const id = `bad-${badSeq++}`;
          rejectedIds.add(id);
          const name = names[0] as string;
          const inputs = [
            { provider: 'nope', payload: 0, id },
            { provider: name, payload: 0, id, priority: NaN },
            { provider: name, payload: 0, id, maxRetries: -1 },
            { provider: name, payload: 0, id, timeoutMs: 0 },
          ];
          const expected = ['UnknownProvider', 'InvalidTask', 'InvalidTask', 'InvalidTask'][op.variant] as string;
          const r = m.submit(inputs[op.variant] as { provider: string; payload: number; id: string });
          const want = scheduler.now() >= shutdownAt ? 'ShuttingDown' : expected;
          if (isRight(r) || r.left._tag !== want) fail(`bad submission ${op.variant}: expected ${want}, got ${JSON.stringify(r)}`);
          return;
        }
      }
    }, op.at);
  }

  // Shutdown, and later the restore that lets a drain finish.
  let report: ShutdownReport | undefined;
  let resolved = false;
  let shutdownPromise: Promise<ShutdownReport> | undefined;
  scheduler.schedule(() => {
    shutdownAt = scheduler.now();
    const options = { mode: model.shutdown.mode, ...(model.shutdown.graceMs !== undefined ? { graceMs: model.shutdown.graceMs } : {}) };
    shutdownPromise = m.shutdown(options);
    shutdownPromise.then((r) => {
      report = r;
      resolved = true;
    });
    // The same call again changes nothing (a cancel after a drain would escalate it: README).
    if (m.shutdown(options) !== shutdownPromise) fail('a second shutdown() did not return the same promise');
  }, model.shutdown.at);
  scheduler.schedule(() => {
    for (const key of [...SERVER_UNIVERSE, ...PREFIX_KEYS]) m.setServerLimit(key, 2);
    model.pools.forEach((pool, i) => {
      const name = names[i] as string;
      if ((pools.get(name) ?? []).length === 0) {
        pools.set(name, poolOf(pool));
        m.updateProviderServers(name, poolOf(pool));
      }
    });
  }, RESTORE_AT);

  flush();

  return Promise.resolve(shutdownPromise).then(async () => {
    // Give the report's microtask a turn, then poke the stopped manager: nothing may come out.
    await Promise.resolve();
    if (!resolved) fail('shutdown() did not resolve');
    if (!stopped) fail('events$ did not complete');
    if (!statsCompleted) fail('stats$ did not complete');
    if (pendingAtStop !== 0) fail(`${pendingAtStop} timeline action(s) of the manager still scheduled when it stopped`);
    const late = m.submit({ provider: names[0] as string, payload: 0, id: 'late' });
    if (isRight(late) || late.left._tag !== 'ShuttingDown') fail(`submit after shutdown: ${JSON.stringify(late)}`);
    if (m.cancel(tasks[0]?.id ?? 'x')._tag !== 'ShutDown') fail('cancel after shutdown did not say ShutDown');
    m.setServerLimit('gpu-1', 3);
    m.updateProviderServers(names[0] as string, ['gpu-2']);
    flush();
    if (statsAfterStop > 0) fail(`${statsAfterStop} stats snapshot(s) after stats$ completed`);
    if (scheduler.actions.length !== 0) fail(`${scheduler.actions.length} scheduled action(s) left`);
    if (clock.pending.size !== 0) fail(`${clock.pending.size} action(s) of the manager left`);
    if (tracker.holding !== 0) fail(`${tracker.holding} attempt(s) still hold a slot after shutdown`);

    // Both the shared checker and the SlotTracker count running attempts by the budget in force.
    violations.push(...checker.violations.slice(0, 20), ...tracker.violations.slice(0, 20));
    const counts = { Succeeded: 0, Failed: 0, Cancelled: 0 };
    const unfinished = new Set<string>();
    for (const state of tasks) {
      if (!state.accepted) {
        if (state.outcomes !== 0 || checker.outcomes.has(state.id)) fail(`${state.id} was refused but has an outcome`);
        continue;
      }
      checkOutcome(state);
      if (state.outcome !== undefined) counts[state.outcome._tag]++;
      if (state.outcome?._tag === 'Cancelled' && state.outcome.reason === 'shutdown') unfinished.add(state.id);
    }
    const accepted = tasks.filter((t) => t.accepted).length;
    if (report !== undefined) {
      if (report.mode !== model.shutdown.mode) fail(`report mode ${report.mode}, asked for ${model.shutdown.mode}`);
      if (report.succeeded !== counts.Succeeded || report.failed !== counts.Failed || report.cancelled !== counts.Cancelled) {
        fail(`report ${report.succeeded}/${report.failed}/${report.cancelled} != outcomes ${counts.Succeeded}/${counts.Failed}/${counts.Cancelled}`);
      }
      // Commands are reported by id apart from the tasks (a command cannot be resubmitted as a task).
      const reported = new Set([...report.unfinished.map((t) => t.id as string), ...report.unfinishedCommands]);
      for (const input of report.unfinished) {
        if (byId.get(input.id as string)?.spec.kind === 'command') fail(`report.unfinished lists command ${input.id} as a task`);
      }
      if (reported.size !== unfinished.size || [...unfinished].some((id) => !reported.has(id))) {
        fail(`report.unfinished ${[...reported].sort().join(',')} != shutdown-cancelled ${[...unfinished].sort().join(',')}`);
      }
      for (const input of report.unfinished) {
        const state = byId.get(input.id as string);
        if (state === undefined || state.spec.kind === 'command') continue;
        if (input.provider !== names[state.spec.provider] || input.priority !== state.spec.priority || input.payload !== state.spec.kind) {
          fail(`report.unfinished has a wrong input for ${input.id}: ${JSON.stringify(input)}`);
        }
      }
    }
    const stats = m.stats();
    for (const [name, p] of Object.entries(stats.providers)) {
      if (p.queued !== 0 || p.running !== 0 || p.waiting !== 0) fail(`${name} still has work after shutdown: ${JSON.stringify(p)}`);
    }
    for (const [budget, b] of Object.entries(stats.servers)) if (b.inUse !== 0) fail(`budget ${budget} still has ${b.inUse} in use`);
    // The coordinator is the test's (it could be shared with other managers): every slot is back.
    for (const server of [...SERVER_UNIVERSE, ...PREFIX_KEYS]) {
      const budget = coordinator.budgetOf(normalizeServerKey(server));
      const { inUse } = coordinator.budget(budget);
      if (inUse !== 0) fail(`coordinator budget ${budget} still has ${inUse} slot(s) taken after shutdown`);
    }
    return { violations, accepted, starts: checker.starts, outcomes: counts, report };
  });

  function checkOutcome(state: TaskState): void {
    const { id, spec, outcome } = state;
    if (state.outcomes !== 1 || outcome === undefined) {
      fail(`${id}: ${state.outcomes} outcomes`);
      return;
    }
    if ((checker.outcomes.get(id) ?? 0) !== 1) fail(`${id}: ${checker.outcomes.get(id) ?? 0} outcome events`);
    if (outcome.id !== id) fail(`${id}: outcome carries id ${outcome.id}`);
    if (outcome.elapsedMs !== state.outcomeAt - state.submittedAt) fail(`${id}: elapsedMs ${outcome.elapsedMs}, expected ${state.outcomeAt - state.submittedAt}`);
    if (outcome.attempts !== state.starts) fail(`${id}: outcome says ${outcome.attempts} attempts, ${state.starts} started`);
    const allowed = effectiveRetries(spec) + 1;
    if (outcome.attempts > allowed) fail(`${id}: ${outcome.attempts} attempts > ${allowed}`);
    const hit = state.cancelled !== undefined;
    if (hit && (outcome._tag !== 'Cancelled' || outcome.reason !== 'cancel')) fail(`${id}: cancel returned ${state.cancelled?._tag} but the outcome is ${outcome._tag}`);
    if (outcome._tag === 'Cancelled') {
      if (outcome.reason === 'cancel' && !hit) fail(`${id}: Cancelled(cancel) without a successful cancel`);
      if (outcome.reason === 'shutdown') {
        if (state.outcomeAt < shutdownAt) fail(`${id}: Cancelled(shutdown) before the shutdown`);
        if (model.shutdown.mode === 'drain' && (model.shutdown.graceMs ?? Infinity) === Infinity) fail(`${id}: Cancelled(shutdown) in a drain without a grace period`);
      }
      return;
    }
    if (outcome._tag === 'Failed' && isSlotWaitTimeoutError(outcome.error)) {
      if (model.slotWaitMs === undefined) fail(`${id}: SlotWaitTimeoutError without slotWait`);
      return;
    }
    // The natural outcome of the task's kind.
    const fails = spec.kind === 'flaky' || spec.kind === 'throw' ? spec.failFirst : spec.kind === 'hang' || spec.kind === 'ignore' ? Infinity : spec.kind === 'nonretryable' ? Infinity : 0;
    const expectedAttempts = spec.kind === 'nonretryable' ? 1 : Math.min(fails + 1, allowed);
    if (outcome.attempts !== expectedAttempts) fail(`${id} (${spec.kind}): ${outcome.attempts} attempts, expected ${expectedAttempts}`);
    if (fails < allowed && spec.kind !== 'nonretryable') {
      if (outcome._tag !== 'Succeeded') {
        fail(`${id} (${spec.kind}): expected Succeeded, got ${outcome._tag} ${String((outcome as { error?: unknown }).error)}`);
        return;
      }
      const expectedValue = spec.kind === 'empty' ? undefined : `${id}@${expectedAttempts}`;
      if (outcome.value !== expectedValue) fail(`${id}: value ${String(outcome.value)}, expected ${String(expectedValue)}`);
      if (outcome.server !== state.lastServer) fail(`${id}: succeeded on ${outcome.server}, last started on ${String(state.lastServer)}`);
      return;
    }
    if (outcome._tag !== 'Failed') {
      fail(`${id} (${spec.kind}): expected Failed, got ${outcome._tag}`);
      return;
    }
    const error = outcome.error;
    switch (spec.kind) {
      case 'hang':
      case 'ignore':
        if (!isTaskTimeoutError(error) || error.taskId !== id || error.timeoutMs !== effectiveTimeout(spec)) fail(`${id}: expected a TaskTimeoutError(${effectiveTimeout(spec)}), got ${String(error)}`);
        break;
      case 'flaky':
        if (!(error instanceof Error) || error.message !== `flaky ${id}#${allowed}`) fail(`${id}: failed with ${String(error)}`);
        break;
      case 'throw':
        if (error !== `thrown ${id}#${allowed}`) fail(`${id}: failed with ${String(error)}`);
        break;
      case 'nonretryable':
        if (error !== `cause ${id}`) fail(`${id}: failed with ${String(error)}, expected the NonRetryableError's cause`);
        break;
      default:
        fail(`${id} (${spec.kind}) failed: ${String(error)}`);
    }
  }
}
