import { isRight } from 'fp-ts/lib/Either.js';
import { config as rxjsConfig, EMPTY, map, repeat, timer, NEVER, Observable, type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  createTaskManager,
  localSlotCoordinator,
  normalizeServerKey,
  type AttemptContext,
  type BudgetStats,
  type Logger,
  type Provider,
  type ShutdownReport,
  type SlotCoordinator,
  type StatsSnapshot,
  type Task,
  type TaskEvent,
  type TaskManager,
  type TaskManagerOptions,
  type TaskOutcome,
} from '../../src/index.js';
import { virtualPromise, virtualWork } from '../../src/testing/index.js';

// A seeded model checker for re-entrant and throwing user code (public API only).
//
// Each seed builds a small model (1-3 providers over 1-3 shared servers, 3-15 tasks of every
// handler kind, limits 0-3 or Infinity on exact server keys, retries with backoff, timeouts,
// maybe a shutdown; in half of the seeds adaptive limits on some servers, health checks with
// ejection and a latency-aware choice rule) and plays it in virtual time. EVERY kind of user
// callback the manager runs - the serverEvents$ subscriber included -
// the handler body, one or two events$ subscribers, a stats$ subscriber, handle.outcome$
// subscribers, isRetryable, the timeout function, the logger methods and the random source - now
// and then runs a "reaction" (one or two of submit (new, duplicate id or unknown provider), cancel
// (known or unknown id), setServerLimit, removeServerLimit, updateProviderServers (random subset,
// maybe empty), addProvider, shutdown (random mode and grace), pause, resume, clear, setPriority,
// or an abort of the AbortSignal some submissions share), and now and then throws after it
// (an Error or not). At END_AT reactions stop, limits and pools are restored and a drain is asked
// for, so every run ends. A run lists every broken promise; an empty list is a pass:
//
// Tasks may be delayed (delayMs) or carry the shared signal; handlers report ctx.progress now and then.
// A third of the seeds turn on priority aging (agingMs 3, 10 or 25): the ranking check then uses
// the aged rank (priority less the grid steps before the task was queued). 40 % of the seeds give
// 35 % of their tasks (not commands) a weight of 2 or 3 (TooHeavy only above the largest limit).
//
// - every accepted task has exactly one outcome on its handle's outcome$ and exactly one outcome
//   event; a refused submission has no event and no outcome; the outcome's attempts equal the
//   'started' events; no event of a task after its outcome event (but 'abandoned');
// - no handler call after its task's outcome (seen as an event or on outcome$), nor after the
//   manager stopped, nor twice for one attempt; no task runs two attempts at once;
// - in-use <= limit at every start: the coordinator is watched (SlotWatch); at every slot it hands
//   out, the weight of the attempts really running on that budget (handler called and not yet
//   really settled: an Observable's teardown, a Promise's settling, abandonAfterMs is Infinity)
//   plus the new one's is within the limit in force, and within the adaptive `max` of an adaptive
//   budget unless it starts alone; every release gives back the weight that was taken;
// - with the fleet options on, the limit in force is the manager's at that instant (stats() read
//   from inside the coordinator: the adaptive limit, 0 while ejected, 0 while a half-open budget's
//   probe is out): the weight really running plus the new one's is within it (a task heavier than
//   the adaptive limit may start alone on an unblocked budget), the adaptive limit
//   is within [min, max]; no start falls inside an ejection announced on serverEvents$ (at, until);
//   a half-open budget takes one probe (a second start needs a slot given back since: a lost
//   probe); every limit-changed event moves to a value within [1, max];
// - at every 'started' event, no task waiting (after 'waiting-for-slot') on a provider that can
//   use that budget ranks better (commands first, then priority - aged under agingMs - then
//   submission order);
// - stats agree with events: at every stats$ emission, before every submission of the test and
//   after the shutdown, each provider's queued/waiting/running/succeeded/failed/cancelled equal
//   the counts derived from its events; after the shutdown nothing is queued, waiting or running;
// - refusals are right: ShuttingDown exactly after shutdown() returned, UnknownProvider only for
//   unknown names, DuplicateId only while a task with that id is live or its attempt still runs;
//   reconfiguration calls with valid input are accepted before any shutdown;
// - the shutdown: every shutdown() returns the same promise, it resolves, its counts equal the
//   outcomes, `unfinished` + `unfinishedCommands` are exactly the tasks cancelled by it; events$
//   and stats$ complete; no action the manager booked on its scheduler runs after events$
//   completed, and none is left once it resolved (even after poking the stopped manager);
// - nothing escapes: an exception thrown out of flush() is a violation, so is an error handed to
//   rxjs's config.onUnhandledError that is not a user throw (UserThrow, or a registered non-Error
//   throw, possibly as the `cause` of the manager's own error); a manager call that throws on
//   valid input is one too; so is a run that does not end (runaway).
//
// What the checker assumes about a correct manager (the promise being checked): a call made from
// user code is applied, and its events delivered, after the transition in progress and all its
// notifications; so a pool replaced from user code may not be in force yet for starts at the same
// virtual time (the ranking check then skips that provider), and the limit check is made where a
// slot is taken, not where the handler is called (the handler may run after user code changed the
// limits).
//
// Replay: `runSeed(seed)` is deterministic (one PRNG drives the model and the reactions, and
// everything runs on the TestScheduler); `runSeed(seed, trace)` also fills `trace` with every
// event, call, reaction and violation in order.

/** What a user callback throws on purpose (an Error); non-Error throws are strings/objects listed in `userThrown`. */
export class UserThrow extends Error {
  constructor(readonly site: string, n: number) {
    super(`user throw #${n} from ${site}`);
    this.name = 'UserThrow';
  }
}

/** A handler's own failure (kind 'throw' and 'fail'): it must become the attempt's error, never reach rxjs. */
export class HandlerFailure extends Error {
  override name = 'HandlerFailure';
}

export type Kind = 'ok' | 'sync' | 'throw' | 'fail' | 'never' | 'promise' | 'empty' | 'command';

export interface TaskSpec {
  readonly at: number;
  readonly provider: number;
  readonly kind: Kind;
  /** ok/fail/promise/empty/command: how long the work takes (virtual ms); 0 for empty = EMPTY. */
  readonly duration: number;
  readonly priority: number;
  readonly maxRetries: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly callbackName: 'fast' | 'slow' | undefined;
  /** Submitted with this `delayMs` (tasks only). */
  readonly delayMs: number | undefined;
  /** Submitted with the run's current shared AbortSignal (tasks only). */
  readonly signal: boolean;
}

export interface Model {
  readonly seed: number;
  readonly servers: readonly string[];
  /** Indices into `servers`, per provider. */
  readonly pools: readonly (readonly number[])[];
  /** Exact server keys only (no prefix budgets), so a server's budget is its own key. */
  readonly limits: ReadonlyArray<readonly [string, number]>;
  readonly defaultLimit: number;
  readonly maxRetries: number;
  readonly backoff: { readonly initialDelayMs: number; readonly jitter: 'none' | 'full' };
  readonly timeout: number | 'fn';
  /** Every provider's holdAfterAbortMs (0: none). */
  readonly holdAfterAbortMs: number;
  readonly tasks: readonly TaskSpec[];
  readonly shutdown: { readonly at: number; readonly mode: 'drain' | 'cancel'; readonly graceMs: number } | undefined;
  /** Chance that a callback invocation reacts (calls the manager), and that it throws afterwards. */
  readonly pReact: number;
  readonly pThrow: number;
  /** Reacting events$ subscribers (besides the checker's own). */
  readonly eventSubscribers: 1 | 2;
  readonly statsSubscriber: boolean;
  /** Chance that an accepted task gets a reacting outcome$ subscriber. */
  readonly pOutcomeSubscriber: number;
  /** Manager calls the reactions may make in one run (so a run always ends). */
  readonly reactionBudget: number;
  /** Start rates by server key (the models' budgets are exact server keys): `rateLimits`. */
  readonly rates: ReadonlyArray<readonly [string, { readonly starts: number; readonly intervalMs: number; readonly minTimeMs: number }]> | undefined;
  /** Adaptive limits (max per server), health and the choice rule; undefined: all off. */
  readonly fleet: FleetModel | undefined;
  /** Tasks get weights (2 or 3 now and then, from a generator of their own): `submit({ weight })`. */
  readonly weighted: boolean;
  /** The manager's `agingMs` (priority aging); undefined: off. */
  readonly agingMs: number | undefined;
}

export interface FleetModel {
  readonly adaptive: ReadonlyArray<readonly [string, number]>;
  readonly algorithm: 'gradient' | 'aimd';
  readonly health: { readonly failures: number; readonly ejectMs: number; readonly maxEjectedShare: number } | undefined;
  readonly serverChoice: 'slots' | 'peak-ewma' | 'lowest-latency';
}

function fleetOptions(fleet: FleetModel | undefined): Partial<TaskManagerOptions> {
  if (fleet === undefined) return {};
  return {
    adaptiveLimits: Object.fromEntries(fleet.adaptive.map(([server, max]) => [server, { min: 1, max, initial: 1, algorithm: fleet.algorithm }])),
    ...(fleet.health === undefined ? {} : { health: fleet.health }),
    serverChoice: fleet.serverChoice,
  };
}

/** Start rates on some servers of a quarter of the seeds, from a generator of their own. */
function ratesModel(seed: number, servers: readonly string[]): Model['rates'] {
  const rng = prng(seed * 17 + 11);
  if (!chance(rng, 0.25)) return undefined;
  return servers.filter(() => chance(rng, 0.7)).map((server) => [server, { starts: int(rng, 1, 3), intervalMs: pick(rng, [5, 20, 60]), minTimeMs: pick(rng, [0, 0, 3]) }] as const);
}

/** Priority aging on a third of the seeds, from a generator of its own (the rest of the model is unchanged). */
function agingModel(seed: number): number | undefined {
  const rng = prng(seed * 19 + 7);
  return chance(rng, 0.33) ? pick(rng, [3, 10, 25]) : undefined;
}

/** Drawn from a generator of its own, so the rest of each seed's model is what it was before. */
function fleetModel(seed: number, servers: readonly string[]): FleetModel | undefined {
  const rng = prng(seed * 13 + 5);
  if (!chance(rng, 0.5)) return undefined;
  return {
    adaptive: servers.filter(() => chance(rng, 0.6)).map((s) => [s, int(rng, 1, 4)] as const),
    algorithm: chance(rng, 0.5) ? 'gradient' : 'aimd',
    health: chance(rng, 0.6) ? { failures: int(rng, 1, 3), ejectMs: pick(rng, [5, 20, 100]), maxEjectedShare: pick(rng, [0, 0.5, 0.9]) } : undefined,
    serverChoice: pick(rng, ['slots', 'peak-ewma', 'lowest-latency'] as const),
  };
}

/** Servers the models and reactions draw on: URLs (query and port variants) and a plain name. */
export const SERVERS = [
  'https://gpu-1.example.com/v1',
  'https://gpu-2.example.com/v1?key=abc',
  'http://cpu.example.com:8080/render',
  'gpu-3',
] as const;

/** When reactions stop, every limit is set to 2, every pool is set again (an empty one gets a server), and a drain is asked for. */
export const END_AT = 1000;
/** Virtual time a run may reach before it counts as a runaway. */
const MAX_FRAMES = 5_000_000;
/** Handler calls plus events a run may make before it counts as a runaway. */
const MAX_STEPS = 20_000;
const MAX_VIOLATIONS = 30;
/** How often the coordinator's cluster view is read (virtual ms). */
const CLUSTER_READ_MS = 7;

/** mulberry32, with the seed scrambled so that consecutive seeds give unrelated streams. */
export function prng(seed: number): () => number {
  let a = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next();
  return next;
}

const serverKeys = new Map<string, string>();
/** normalizeServerKey, remembered (it parses a URL; the checker asks for the same few servers all the time). */
const keyOf = (server: string): string => {
  let key = serverKeys.get(server);
  if (key === undefined) serverKeys.set(server, (key = normalizeServerKey(server)));
  return key;
};

const int = (rng: () => number, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const chance = (rng: () => number, p: number): boolean => rng() < p;

function kindOf(rng: () => number): Kind {
  const r = rng();
  if (r < 0.3) return 'ok';
  if (r < 0.42) return 'sync';
  if (r < 0.52) return 'throw';
  if (r < 0.62) return 'fail';
  if (r < 0.7) return 'never';
  if (r < 0.8) return 'promise';
  if (r < 0.88) return 'empty';
  return 'command';
}

function taskSpec(rng: () => number, at: number, providers: number): TaskSpec {
  const kind = kindOf(rng);
  return {
    at,
    provider: int(rng, 0, providers - 1),
    kind,
    duration: kind === 'empty' && chance(rng, 0.5) ? 0 : int(rng, 1, 60),
    priority: int(rng, 0, 3),
    maxRetries: chance(rng, 0.5) ? int(rng, 0, 2) : undefined,
    timeoutMs: chance(rng, 0.3) ? pick(rng, [20, 45, 120]) : undefined,
    callbackName: chance(rng, 0.5) ? pick(rng, ['fast', 'slow'] as const) : undefined,
    delayMs: chance(rng, 0.15) ? int(rng, 0, 40) : undefined,
    signal: chance(rng, 0.3),
  };
}

const limitOf = (rng: () => number): number => (chance(rng, 0.1) ? Infinity : int(rng, 0, 3));

/** The model of a seed (plain data: print it to read a failing seed). */
export function generateModel(seed: number): Model {
  const rng = prng(seed);
  const serverCount = int(rng, 1, 3);
  const servers = [...SERVERS].sort(() => rng() - 0.5).slice(0, serverCount);
  const providers = int(rng, 1, 3);
  const pools = Array.from({ length: providers }, () => {
    const pool = servers.map((_, i) => i).filter(() => chance(rng, 0.6));
    return pool.length > 0 ? pool : [int(rng, 0, serverCount - 1)];
  });
  const limits = servers.filter(() => chance(rng, 0.6)).map((s) => [s, limitOf(rng)] as const);
  const taskCount = int(rng, 3, 15);
  const tasks = Array.from({ length: taskCount }, () => taskSpec(rng, chance(rng, 0.4) ? 0 : int(rng, 0, 200), providers));
  return {
    seed,
    servers,
    pools,
    limits,
    defaultLimit: int(rng, 1, 2),
    maxRetries: int(rng, 0, 2),
    backoff: { initialDelayMs: int(rng, 0, 20), jitter: chance(rng, 0.7) ? 'none' : 'full' },
    timeout: chance(rng, 0.5) ? pick(rng, [50, 100]) : 'fn',
    holdAfterAbortMs: pick(rng, [0, 0, 5, 30]),
    tasks,
    shutdown: chance(rng, 0.6)
      ? { at: int(rng, 0, 300), mode: chance(rng, 0.5) ? 'drain' : 'cancel', graceMs: pick(rng, [0, 10, 100, Infinity]) }
      : undefined,
    pReact: pick(rng, [0.05, 0.15, 0.3, 0.5]),
    pThrow: pick(rng, [0, 0.05, 0.15]),
    eventSubscribers: chance(rng, 0.5) ? 1 : 2,
    statsSubscriber: chance(rng, 0.6),
    pOutcomeSubscriber: pick(rng, [0, 0.3, 0.8]),
    reactionBudget: int(rng, 4, 24),
    fleet: fleetModel(seed, servers),
    rates: ratesModel(seed, servers),
    weighted: chance(prng(seed * 23 + 13), 0.4),
    agingMs: agingModel(seed),
  };
}

/**
 * Forwards to the TestScheduler and remembers which of the manager's actions are still due (the
 * manager's own timers: the test's work and submissions are booked on the TestScheduler directly).
 */
export class CountingScheduler implements SchedulerLike {
  readonly pending = new Set<Subscription>();
  /** Set when the manager has stopped: a manager action that runs after that is a timer left behind. */
  stoppedAt: number | undefined = undefined;
  ranAfterStop = 0;
  constructor(
    readonly inner: SchedulerLike,
    /** Tracing: where each action that ran after the stop was booked from. */
    readonly note?: (line: string) => void,
  ) {}

  now(): number {
    return this.inner.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay?: number, state?: T): Subscription {
    const pending = this.pending;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    let subscription: Subscription | undefined = undefined;
    const bookedFrom = this.note === undefined ? undefined : new Error('booked').stack;
    const wrapped = function (this: SchedulerAction<T>, s: T): void {
      if (subscription !== undefined) pending.delete(subscription);
      if (self.stoppedAt !== undefined) {
        self.ranAfterStop++;
        self.note?.(`a manager action ran after the stop; booked at ${bookedFrom}`);
      }
      work.call(this, s);
    };
    subscription = this.inner.schedule(wrapped as (this: SchedulerAction<T>, state?: T) => void, delay, state as T);
    const added = subscription;
    pending.add(added);
    added.add(() => pending.delete(added));
    return added;
  }
}

/**
 * Wraps the coordinator a manager takes its slots from, and counts the attempts really running
 * on each server as the handlers see them (`start` when the work begins, `end` when it has really
 * stopped: an Observable's teardown, a Promise's settling). At every slot the coordinator hands
 * out, the attempts really running on that budget plus the new one must be within the limit in
 * force at that moment; every release must give back a slot that was taken.
 *
 * The check is made where the slot is taken, not where the handler is called: a manager may call
 * the handler later (after the transition that started the attempt), when user code has already
 * changed the limits; the attempt was admitted under the limit in force when it took its slot.
 */
export class SlotWatch {
  readonly coordinator: SlotCoordinator;
  readonly #perServer = new Map<string, number>();
  readonly #taken = new Map<string, number>();
  /** Told of every slot handed out (the rate check): a weighted start is one start. */
  onAcquire: ((serverKey: string) => void) | undefined = undefined;

  constructor(
    readonly inner: SlotCoordinator,
    readonly report: (violation: string) => void,
    /** Budgets with an adaptive limit, and its hard cap (`max`): never exceeded either. */
    readonly adaptiveCaps: ReadonlyMap<string, number> = new Map(),
    /** Virtual time, for the ejection windows. */
    readonly now: () => number = () => 0,
  ) {
    this.coordinator = {
      budgetOf: (serverKey) => inner.budgetOf(serverKey),
      budget: (budgetKey) => inner.budget(budgetKey),
      tryAcquire: (serverKey, weight = 1) => {
        if (!(Number.isInteger(weight) && weight >= 1)) report(`tryAcquire(${serverKey}) with weight ${weight}`);
        const ok = inner.tryAcquire(serverKey, weight);
        if (ok) {
          this.onAcquire?.(serverKey);
          this.#taken.set(serverKey, (this.#taken.get(serverKey) ?? 0) + weight);
          const budgetKey = inner.budgetOf(serverKey);
          // Weights: the running attempts' weights plus the new one's.
          const running = this.running(budgetKey);
          const { limit } = inner.budget(budgetKey);
          if (running + weight > limit) report(`budget ${budgetKey}: weight ${weight} was handed out while weight ${running} really ran there (limit ${limit})`);
          const cap = this.adaptiveCaps.get(budgetKey);
          // A task heavier than the adaptive limit may run alone on the idle budget (up to the hard limit).
          if (cap !== undefined && running + weight > cap && running > 0) report(`budget ${budgetKey}: weight ${weight} was handed out while weight ${running} really ran there (adaptive max ${cap})`);
          this.#checkInForce(budgetKey, running, weight);
        }
        return ok;
      },
      release: (serverKey, weight = 1) => {
        const n = this.#taken.get(serverKey) ?? 0;
        if (n < weight) report(`weight ${weight} on ${serverKey} was released but only ${n} was taken`);
        else if (n === weight) this.#taken.delete(serverKey);
        else this.#taken.set(serverKey, n - weight);
        const budgetKey = inner.budgetOf(serverKey);
        this.#releases.set(budgetKey, (this.#releases.get(budgetKey) ?? 0) + 1);
        inner.release(serverKey, weight);
      },
      setLimit: (key, limit) => inner.setLimit(key, limit),
      removeLimit: (key) => inner.removeLimit(key),
      limits: () => inner.limits(),
      changes$: inner.changes$,
      countsWeights: inner.countsWeights === true,
      close: () => inner.close(),
    };
  }

  /**
   * The budget as the manager shows it now (`stats().servers[budget]`): the limit in force (the
   * adaptive limit, 0 while ejected or while a half-open budget's probe is out) and its health.
   */
  inForce: ((budgetKey: string) => BudgetStats | undefined) | undefined = undefined;
  /** Ejections announced on serverEvents$, by budget: no start may fall strictly inside one. */
  readonly #ejections = new Map<string, Array<{ readonly at: number; readonly until: number }>>();
  /** Starts checked against an adaptive limit or a health state (how much the fleet checks covered). */
  fleetChecks = 0;

  /** A `server-ejected` event. */
  ejected(budgetKey: string, at: number, until: number): void {
    const list = this.#ejections.get(budgetKey) ?? [];
    list.push({ at, until });
    this.#ejections.set(budgetKey, list);
  }

  /**
   * At a start of `weight`, before the manager's own bookkeeping of it: the weight really running
   * plus this one is within the limit in force, an adaptive limit is within its bounds, and the
   * budget is neither ejected nor inside an ejection announced on serverEvents$. A task heavier
   * than the adaptive limit may start alone on an idle budget that is not blocked by its health
   * (the hard limit still holds: checked by the caller).
   */
  #checkInForce(budgetKey: string, running: number, weight: number): void {
    const now = this.now();
    for (const { at, until } of this.#ejections.get(budgetKey) ?? []) {
      if (at < now && now < until) this.report(`budget ${budgetKey}: a start at ${now} while ejected from ${at} to ${until}`);
    }
    const shown = this.inForce?.(budgetKey);
    if (shown === undefined) return;
    if (shown.adaptive !== undefined || shown.health !== undefined) this.fleetChecks++;
    const alone = running === 0 && weight > 1 && shown.limit > 0;
    if (running + weight > shown.limit && !alone) this.report(`budget ${budgetKey}: weight ${weight} was handed out while weight ${running} really ran there (limit in force ${shown.limit}, ${JSON.stringify(shown)})`);
    const adaptive = shown.adaptive;
    if (adaptive !== undefined && (adaptive.limit < adaptive.min || adaptive.limit > adaptive.max)) this.report(`budget ${budgetKey}: adaptive limit ${adaptive.limit} outside [${adaptive.min}, ${adaptive.max}]`);
    if (adaptive !== undefined && running + weight > adaptive.limit && !alone) this.report(`budget ${budgetKey}: weight ${weight} was handed out while weight ${running} really ran there (adaptive limit in force ${adaptive.limit})`);
    if (shown.health?.state === 'ejected') this.report(`budget ${budgetKey}: a slot was handed out while it is ejected until ${shown.health.until}`);
    this.#checkProbe(budgetKey, shown.health?.state === 'half-open');
  }

  /** Half-open budgets by key: the releases on that budget when its probe took its slot. */
  readonly #probes = new Map<string, number>();
  readonly #releases = new Map<string, number>();

  /**
   * One probe per half-open period: a second start while half-open needs a slot given back on
   * that budget since the first (the probe was lost: cancelled before its handler ran). A
   * `server-ejected` or `server-restored` event, or a start outside half-open, ends the period.
   */
  #checkProbe(budgetKey: string, halfOpen: boolean): void {
    if (!halfOpen) {
      this.#probes.delete(budgetKey);
      return;
    }
    const releases = this.#releases.get(budgetKey) ?? 0;
    if (this.#probes.get(budgetKey) === releases) this.report(`budget ${budgetKey}: a second start while half-open, with no slot given back since the probe started`);
    this.#probes.set(budgetKey, releases);
  }

  /** A `server-ejected` or `server-restored` event: the half-open period (if any) is over. */
  healthMoved(budgetKey: string): void {
    this.#probes.delete(budgetKey);
  }

  /** The weight of the attempts really running on a budget (as the servers are grouped now). */
  running(budgetKey: string): number {
    let n = 0;
    for (const [server, count] of this.#perServer) if (this.inner.budgetOf(server) === budgetKey) n += count;
    return n;
  }

  /** An attempt's work (of that weight) begins on `server` (a pool entry; it is normalised here). */
  start(server: string, weight = 1): void {
    const key = keyOf(server);
    this.#perServer.set(key, (this.#perServer.get(key) ?? 0) + weight);
  }

  /** That work has really stopped. */
  end(server: string, weight = 1): void {
    const key = keyOf(server);
    const n = (this.#perServer.get(key) ?? weight) - weight;
    if (n <= 0) this.#perServer.delete(key);
    else this.#perServer.set(key, n);
  }

  /** Attempts really running anywhere. */
  get holding(): number {
    let n = 0;
    for (const count of this.#perServer.values()) n += count;
    return n;
  }

  /** Slots taken and not given back, by server key. */
  get taken(): ReadonlyMap<string, number> {
    return this.#taken;
  }
}

/** One submission (accepted or not). Ids can be reused once a task is over, so the key is the identity. */
interface Sub {
  readonly key: number;
  readonly id: string;
  readonly provider: string;
  readonly spec: TaskSpec;
  readonly lane: 0 | 1;
  /** As the manager ranks it: a command's is 0 (setPriority changes both). */
  priority: number;
  seq: number;
  accepted: boolean;
  refused: boolean;
  queuedSeen: boolean;
  /** From events: 'new' until queued, then queued/running/waiting, 'done' after the outcome event. */
  state: 'new' | 'queued' | 'running' | 'waiting' | 'done';
  /** Its outcome was seen (outcome event or outcome$), the first of the two. */
  done: boolean;
  outcomes: TaskOutcome[];
  outcomeEvents: number;
  starts: number;
  calls: number[];
  holding: number;
  /** Until when the manager may keep its last aborted attempt's slot (holdAfterAbortMs). */
  heldUntil: number;
  /** When it enters its queue the first time (a delayed task's due time): where priority aging counts from. */
  queuedAt: number;
  /** When setPriority last moved it (its rank in the checker changed then). */
  rankChangedAt: number | undefined;
  /** Moved by setPriority before its 'queued' event came (that event carries the first priority). */
  moveAfterQueued: { priority: number; seq: number } | undefined;
  /** Submitted with the shared signal: which controller, and whether it was already aborted. */
  signal: AbortSignal | undefined;
  /** Slots per attempt (`submit({ weight })`; 1 for commands and unweighted models). */
  readonly weight: number;
}

interface ProviderCounts {
  queued: number;
  waiting: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

const describe = (value: unknown): string => {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
};

export interface SeedResult {
  readonly seed: number;
  readonly violations: string[];
  readonly accepted: number;
  readonly reactions: number;
  readonly throws: number;
  /** How much of the fleet layer the seed exercised: its serverEvents$ by type, and starts checked against an adaptive limit or a health state. */
  readonly fleet?: { readonly 'limit-changed': number; readonly 'server-ejected': number; readonly 'server-restored': number; readonly checkedStarts: number };
}

/** Plays one seed in virtual time and lists every broken promise. */
export async function runSeed(seed: number, trace?: string[]): Promise<SeedResult> {
  const model = generateModel(seed);
  const scheduler = new TestScheduler(() => undefined);
  const previous = rxjsConfig.onUnhandledError;
  const unhandled: unknown[] = [];
  rxjsConfig.onUnhandledError = (error) => unhandled.push(error);
  // Errors are made by the thousand here (user throws, timeouts, cancels) and their stacks are
  // never read: capturing them was a fifth of the cost of a seed. A trace keeps them.
  const stackTraceLimit = Error.stackTraceLimit;
  if (trace === undefined) Error.stackTraceLimit = 0;
  try {
    let pending: Promise<SeedResult> | undefined;
    scheduler.run(({ flush }) => {
      scheduler.maxFrames = MAX_FRAMES;
      pending = play(model, scheduler, flush, unhandled, trace);
    });
    return await (pending as Promise<SeedResult>);
  } finally {
    rxjsConfig.onUnhandledError = previous;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function play(model: Model, scheduler: TestScheduler, flush: () => void, unhandled: unknown[], trace: string[] | undefined): Promise<SeedResult> {
  const violations: string[] = [];
  const note = (line: string): void => void trace?.push(`t=${scheduler.now()} ${line}`);
  const fail = (message: string): void => {
    note(`VIOLATION ${message}`);
    if (violations.length < MAX_VIOLATIONS) violations.push(`t=${scheduler.now()} ${message}`);
  };
  const rng = prng(model.seed * 7 + 3);
  const clock = new CountingScheduler(scheduler, trace === undefined ? undefined : (line) => note(line));
  // The coordinator the manager takes its slots from, watched (see SlotWatch).
  const slots = localSlotCoordinator({ limits: Object.fromEntries(model.limits), defaultLimit: model.defaultLimit });
  const watch = new SlotWatch(slots, fail, new Map(model.fleet?.adaptive.map(([server, max]) => [keyOf(server), max])), () => scheduler.now());
  // A cluster view read on the coordinator's own cadence, outside any transition (as Redis answers
  // arrive); the manager must let go of it when it stops (no timer left behind). A timer repeated,
  // not an interval: in virtual time an interval nests one action per period, which overflows the
  // stack when a long run unsubscribes it.
  const clusterStats$ = timer(CLUSTER_READ_MS, clock).pipe(repeat(), map(() => Object.fromEntries([...slots.limits().keys()].map((key) => [key, { ...slots.budget(key), waiters: 0 }]))));
  const coordinator: SlotCoordinator = { ...watch.coordinator, clusterStats$ };
  const budgetOf = (server: string): string => coordinator.budgetOf(keyOf(server));

  // ------------------------------------------------------------ state seen from outside
  const names: string[] = model.pools.map((_, i) => `p${i}`);
  const pools = new Map<string, readonly string[]>(model.pools.map((pool, i) => [names[i] as string, pool.map((s) => model.servers[s] as string)]));
  /**
   * Pools replaced from user code at this virtual time: until the time moves on, any of them may
   * still be in force (a call from user code is applied after the transition in progress), so a
   * provider counts as able to use a budget only if every version of its pool at this time can.
   */
  const poolChanged = new Map<string, { at: number; versions: Array<readonly string[]> }>();
  let poolVersion = 0;
  /** Notes a pool about to be set; returns what undoes it if the call is refused (unless another pool was noted since). */
  const notePool = (name: string, pool: readonly string[]): (() => void) => {
    const earlier = poolChanged.get(name);
    const now = scheduler.now();
    const before = pools.get(name);
    if (earlier !== undefined && earlier.at === now) earlier.versions.push(pool);
    else poolChanged.set(name, { at: now, versions: [before ?? [], pool] });
    pools.set(name, pool);
    const version = ++poolVersion;
    return () => {
      if (poolVersion !== version) return;
      if (before === undefined) pools.delete(name);
      else pools.set(name, before);
    };
  };
  const subs: Sub[] = [];
  const byKey = new Map<number, Sub>();
  /** Accepted-or-in-flight submissions by id whose 'queued' event has not come yet (FIFO). */
  const inFlight = new Map<string, Sub[]>();
  /** The submission an id's events belong to (the last one whose 'queued' event came). */
  const live = new Map<string, Sub>();
  const waiting = new Set<Sub>();
  const counts = new Map<string, ProviderCounts>();
  const countsOf = (provider: string): ProviderCounts => {
    let c = counts.get(provider);
    if (c === undefined) counts.set(provider, (c = { queued: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }));
    return c;
  };
  let seq = 0;
  let steps = 0;
  let runaway = false;
  // Off until the manager exists: user code it calls while being created (a logger warning about a
  // limit key that covers no pool server) cannot call a manager it has not been handed yet.
  let reactive = false;
  let budget = model.reactionBudget;
  let reactions = 0;
  let throws = 0;
  const fleetEvents = { 'limit-changed': 0, 'server-ejected': 0, 'server-restored': 0 };
  /** shutdown() has returned (later submissions must get ShuttingDown). */
  let shutdownAsked = false;
  /** shutdown() has been called (it may not have returned yet: user code can run inside it). */
  let shutdownCalled = false;
  let shutdown: Promise<ShutdownReport> | undefined;
  let report: ShutdownReport | undefined;
  let eventsCompleted = false;
  let statsCompleted = false;
  let stopped = false;
  const userThrown = new Set<unknown>();
  let addedProviders = 0;
  /** The signal submissions with `spec.signal` get; an abort reaction aborts it and makes a new one. */
  let abortController = new AbortController();
  /** Providers paused now, and when each was last paused or resumed (a start at that time may predate it). */
  const paused = new Set<string>();
  const pauseChangedAt = new Map<string, number>();
  const notePause = (name: string): void => {
    const stats = name === 'nope' || stopped ? undefined : m.stats().providers[name];
    if (stats === undefined) return;
    if (stats.paused) paused.add(name);
    else paused.delete(name);
    pauseChangedAt.set(name, scheduler.now());
  };

  const step = (): void => {
    if (++steps > MAX_STEPS && !runaway) {
      runaway = true;
      reactive = false;
      fail(`runaway: more than ${MAX_STEPS} handler calls and events`);
    }
  };

  // ------------------------------------------------------------ attempts really running
  const holders = new Map<string, { sub: Sub; server: string }>();
  // A generator of its own (not the fleet's nor aging's), so weights vary apart from those options.
  const weightRng = prng(model.seed * 29 + 17);
  /** When a reaction last changed a limit (a task passed over for its weight may have fitted before). */
  let limitChangedAt: number | undefined;
  /** `atCall`: the handler is being called (a new attempt); false when its returned stream is subscribed (the same attempt goes on). */
  const slotStart = (sub: Sub, attempt: number, server: string, atCall: boolean): void => {
    const holder = `${sub.key}#${attempt}`;
    if (holders.has(holder)) return;
    watch.start(server, sub.weight);
    holders.set(holder, { sub, server });
    if (sub.holding > 0) fail(`${sub.id}: attempt ${attempt} runs while another attempt of it is still running`);
    sub.holding++;
    if (!atCall) return;
    const budgetKey = slots.budgetOf(keyOf(server));
    const running = watch.running(budgetKey);
    const { inUse } = slots.budget(budgetKey);
    if (running > inUse) fail(`budget ${budgetKey}: ${running} attempts really running but ${inUse} slot(s) taken, at the start of ${sub.id}#${attempt}`);
  };
  const slotEnd = (sub: Sub, attempt: number, ctx?: AttemptContext): void => {
    const holder = `${sub.key}#${attempt}`;
    const held = holders.get(holder);
    if (held === undefined) return;
    // An aborted attempt's slot (and id) may be kept holdAfterAbortMs longer by the manager.
    if (ctx?.signal.aborted === true) sub.heldUntil = scheduler.now() + model.holdAfterAbortMs;
    holders.delete(holder);
    sub.holding--;
    watch.end(held.server, held.sub.weight);
  };

  // ------------------------------------------------------------ reactions
  const makeThrow = (site: string): unknown => {
    throws++;
    const r = rng();
    if (r < 0.6) return new UserThrow(site, throws);
    const value = r < 0.8 ? `user throw #${throws} from ${site}` : { userThrow: throws, site };
    userThrown.add(value);
    return value;
  };
  /** A user throw, or an error of the manager's whose `cause` (a level or two down) is one. */
  const isUserThrow = (value: unknown, depth = 0): boolean =>
    value instanceof UserThrow ||
    userThrown.has(value) ||
    (depth < 2 && value instanceof Error && value.cause !== undefined && isUserThrow(value.cause, depth + 1));

  const react = (site: string): void => {
    if (reactive && budget > 0 && chance(rng, model.pReact)) {
      act(site);
      if (budget > 0 && chance(rng, 0.3)) act(site);
    }
    if (chance(rng, model.pThrow)) {
      if (trace !== undefined) note(`${site} throws`);
      throw makeThrow(site);
    }
  };

  const knownIds = (): string[] => subs.map((s) => s.id);
  const providerNames = (): string[] => [...pools.keys()];
  const randomPool = (): string[] => SERVERS.filter(() => chance(rng, 0.4));

  const act = (site: string): void => {
    budget--;
    reactions++;
    const r = rng();
    const call = <T>(what: string, fn: () => T): T | undefined => {
      if (trace !== undefined) note(`${site} calls ${what}`);
      try {
        const result = fn();
        if (trace !== undefined) note(`  ${what} -> ${describe(result)}`);
        return result;
      } catch (error) {
        fail(`${what} (from ${site}) threw ${describe(error)}`);
        return undefined;
      }
    };
    if (chance(rng, 0.3)) {
      flowAct(site, call);
      return;
    }
    if (r < 0.3) {
      const spec = taskSpec(rng, scheduler.now(), 1);
      const v = rng();
      if (v < 0.15 && subs.length > 0) submit(spec, pick(rng, knownIds()), pick(rng, providerNames()), site);
      else if (v < 0.25) submit(spec, `r${subs.length}`, 'nope', site);
      else submit(spec, `r${subs.length}`, pick(rng, providerNames()), site);
    } else if (r < 0.55) {
      const id = subs.length > 0 && chance(rng, 0.85) ? pick(rng, knownIds()) : 'ghost';
      call(`cancel(${id})`, () => m.cancel(id));
    } else if (r < 0.68) {
      const server = pick(rng, SERVERS);
      const limit = limitOf(rng);
      limitChangedAt = scheduler.now();
      call(`setServerLimit(${server}, ${limit})`, () => m.setServerLimit(server, limit));
    } else if (r < 0.74) {
      const server = pick(rng, SERVERS);
      limitChangedAt = scheduler.now();
      call(`removeServerLimit(${server})`, () => m.removeServerLimit(server));
    } else if (r < 0.86) {
      // Noted before the call: calls are applied in the order they are made, and user code run
      // during this call may replace the pool again before this call returns.
      const name = chance(rng, 0.9) ? pick(rng, providerNames()) : 'nope';
      const pool = randomPool();
      const undo = name === 'nope' ? undefined : notePool(name, pool);
      const result = call(`updateProviderServers(${name}, ${JSON.stringify(pool)})`, () => m.updateProviderServers(name, pool));
      if (result !== undefined && !isRight(result)) {
        undo?.();
        if (name !== 'nope' && !shutdownCalled) fail(`updateProviderServers(${name}) refused a valid pool: ${JSON.stringify(result)}`);
      }
    } else if (r < 0.93) {
      const name = `x${addedProviders++}`;
      const pool = randomPool();
      const undo = notePool(name, pool);
      const result = call(`addProvider(${name}, ${JSON.stringify(pool)})`, () => m.addProvider({ name, servers: pool, handle, holdAfterAbortMs: model.holdAfterAbortMs }));
      if (result === undefined || !isRight(result)) {
        undo();
        if (result !== undefined && !shutdownCalled) fail(`addProvider(${name}) refused before any shutdown: ${JSON.stringify(result)}`);
      }
    } else {
      const mode = chance(rng, 0.5) ? 'drain' : 'cancel';
      const graceMs = pick(rng, [0, 10, 100, Infinity]);
      askShutdown(mode, graceMs, site);
    }
  };

  /** pause, resume, clear, setPriority, or an abort of the shared signal (then a fresh one). */
  const flowAct = (site: string, call: <T>(what: string, fn: () => T) => T | undefined): void => {
    const r = rng();
    const name = chance(rng, 0.9) ? pick(rng, providerNames()) : 'nope';
    const flowRefusal = (what: string, result: { _tag: string; left?: { _tag: string } } | undefined): void => {
      if (result === undefined || result._tag === 'Right') return;
      const tag = result.left?._tag;
      if (tag === 'UnknownProvider' && name !== 'nope') fail(`${what} refused ${name} as unknown`);
      if (tag === 'ShuttingDown' && !shutdownCalled) fail(`${what} refused as ShuttingDown before any shutdown() call`);
    };
    // A pause frees what its provider's head held, so other tasks may start inside the call: the
    // pause counts as changed from the call on, not only once it has returned.
    if (r < 0.3) {
      pauseChangedAt.set(name, scheduler.now());
      flowRefusal('pause', call(`pause(${name})`, () => m.pause(name)));
      notePause(name);
    } else if (r < 0.55) {
      pauseChangedAt.set(name, scheduler.now());
      flowRefusal('resume', call(`resume(${name})`, () => m.resume(name)));
      notePause(name);
    } else if (r < 0.65) {
      flowRefusal('clear', call(`clear(${name})`, () => m.clear(name)));
    } else if (r < 0.85) {
      const sub = subs.length > 0 && chance(rng, 0.9) ? pick(rng, subs) : undefined;
      const id = sub?.id ?? 'ghost';
      const priority = int(rng, 0, 4);
      // The task the id names: live, or accepted with its 'queued' event still on its way.
      const named = (): Sub | undefined => (live.get(id) !== undefined && live.get(id)?.done !== true ? live.get(id) : inFlight.get(id)?.[0]);
      // A waiting task moved ahead of a heavy head that holds its budget may start (and even end)
      // inside this very call: its start is judged by its new rank.
      moving = named();
      const result = call(`setPriority(${id}, ${priority})`, () => m.setPriority(id, priority));
      const before = moving;
      moving = undefined;
      if (result === undefined || !isRight(result)) return;
      const target = named();
      if (target === undefined) {
        if (before === undefined || before.state !== 'done' || before.starts === 0) fail(`setPriority(${id}) accepted for a task that is not live`);
        return;
      }
      const moved = { priority: target.lane === 0 ? priority : priority, seq: seq++ };
      if (target.queuedSeen) applyMove(target, moved);
      else target.moveAfterQueued = moved;
    } else {
      if (trace !== undefined) note(`${site} aborts the shared signal`);
      const controller = abortController;
      abortController = new AbortController();
      controller.abort(`abort #${reactions}`);
    }
  };

  /** The task a setPriority call under way moves (see the started check). */
  let moving: Sub | undefined;
  const applyMove = (sub: Sub, moved: { priority: number; seq: number }): void => {
    sub.priority = moved.priority;
    sub.seq = moved.seq;
    sub.rankChangedAt = scheduler.now();
    sub.moveAfterQueued = undefined;
  };

  const askShutdown = (mode: 'drain' | 'cancel', graceMs: number, site: string): void => {
    let promise: Promise<ShutdownReport>;
    if (trace !== undefined) note(`${site} calls shutdown(${mode}, ${graceMs})`);
    shutdownCalled = true;
    try {
      promise = m.shutdown({ mode, graceMs });
    } catch (error) {
      fail(`shutdown() (from ${site}) threw ${describe(error)}`);
      return;
    }
    shutdownAsked = true;
    if (shutdown === undefined) {
      shutdown = promise;
      promise.then(
        (r) => {
          report = r;
        },
        (error: unknown) => fail(`shutdown() rejected: ${describe(error)}`),
      );
    } else if (promise !== shutdown) {
      fail('a second shutdown() returned another promise');
    }
  };

  // ------------------------------------------------------------ handlers
  const attempt = (sub: Sub | undefined, ctx: AttemptContext): unknown => {
    step();
    if (sub === undefined) {
      fail(`handler called for a task no submission knows (${ctx.taskId})`);
      return undefined;
    }
    if (sub.done) fail(`handler of ${sub.id} called after its outcome (attempt ${ctx.attempt})`);
    if (stopped) fail(`handler of ${sub.id} called after the manager stopped`);
    if (ctx.taskId !== sub.id) fail(`handler of ${sub.id} got ctx.taskId ${ctx.taskId}`);
    if (sub.calls.includes(ctx.attempt)) fail(`handler of ${sub.id} called twice for attempt ${ctx.attempt}`);
    sub.calls.push(ctx.attempt);
    if (trace !== undefined) note(`handler ${sub.id} attempt ${ctx.attempt} on ${ctx.server}`);
    const n = ctx.attempt;
    const server = ctx.server;
    slotStart(sub, n, server, true);
    let handedOff = false;
    try {
      react('handler');
      if (chance(rng, 0.2)) ctx.progress(n);
      const { kind, duration } = sub.spec;
      const tracked = <T>(work$: Observable<T>): Observable<T> =>
        new Observable<T>((subscriber) => {
          slotStart(sub, n, server, false);
          const inner = work$.subscribe(subscriber);
          return () => {
            inner.unsubscribe();
            slotEnd(sub, n, ctx);
          };
        });
      switch (kind) {
        case 'sync':
          return `${sub.id}@${n}`;
        case 'throw':
          throw new HandlerFailure(`${sub.id}#${n} threw`);
        case 'ok':
        case 'command':
          return tracked(virtualWork(duration, `${sub.id}@${n}`, scheduler));
        case 'fail':
          return tracked(new Observable<never>((s) => scheduler.schedule(() => s.error(new HandlerFailure(`${sub.id}#${n} failed`)), duration)));
        case 'never':
          return tracked(NEVER);
        case 'empty':
          return duration === 0 ? tracked(EMPTY) : tracked(new Observable<never>((s) => scheduler.schedule(() => s.complete(), duration)));
        case 'promise': {
          // Ignores its signal: it settles at its own time, and holds the slot until then.
          const promise = virtualPromise(duration, `${sub.id}@${n}`, scheduler);
          promise.then(() => slotEnd(sub, n, ctx));
          handedOff = true;
          return promise;
        }
      }
    } finally {
      if (!handedOff) slotEnd(sub, n, ctx);
    }
  };
  const handle = (task: Task, ctx: AttemptContext): unknown => attempt(byKey.get((task.payload as { key: number } | undefined)?.key ?? -1), ctx);

  // ------------------------------------------------------------ the manager
  const timeoutFn = (callbackName: string): number => {
    react('timeout');
    if (chance(rng, 0.03)) return NaN; // nonsense: the manager uses 60 s and logs a warning
    return callbackName === 'fast' ? 30 : callbackName === 'slow' ? 150 : 80;
  };
  const logger: Logger = {
    debug: () => react('logger.debug'),
    info: () => react('logger.info'),
    warn: () => react('logger.warn'),
    error: () => react('logger.error'),
  };
  // The manager's creation: where aging's grid starts.
  const epoch = scheduler.now();
  const providers: Provider[] = names.map((name) => ({ name, servers: pools.get(name) as string[], handle, holdAfterAbortMs: model.holdAfterAbortMs }));
  const m: TaskManager = createTaskManager({
    providers,
    coordinator,
    scheduler: clock,
    abandonAfterMs: Infinity,
    logger,
    random: () => {
      const value = rng();
      react('random');
      return value;
    },
    retry: {
      maxRetries: model.maxRetries,
      backoff: { initialDelayMs: model.backoff.initialDelayMs, maxDelayMs: 50, jitter: model.backoff.jitter },
      isRetryable: () => {
        react('isRetryable');
        return chance(rng, 0.85);
      },
    },
    timeout: model.timeout === 'fn' ? timeoutFn : model.timeout,
    ...fleetOptions(model.fleet),
    ...(model.rates !== undefined ? { rateLimits: Object.fromEntries(model.rates) } : {}),
    ...(model.agingMs !== undefined ? { agingMs: model.agingMs } : {}),
  });
  reactive = true;
  // Server events are user code too: their subscriber reacts and throws like the others.
  // The checker's own subscriber first: it notes ejections and checks each adaptive move.
  m.serverEvents$.subscribe((event) => {
    fleetEvents[event.type]++;
    if (event.type === 'server-ejected') watch.ejected(event.budget, event.at, event.until);
    if (event.type !== 'limit-changed') watch.healthMoved(event.budget);
    if (event.type === 'limit-changed') {
      const max = watch.adaptiveCaps.get(event.budget);
      if (event.to < 1 || (max !== undefined && event.to > max) || event.from === event.to) fail(`limit-changed ${JSON.stringify(event)} (adaptive max ${max})`);
    }
  });
  m.serverEvents$.subscribe(() => react('serverEvents$'));
  watch.inForce = (budgetKey) => m.stats().servers[budgetKey];
  // So is the cluster view's: it reacts (calls the manager back) and throws between transitions.
  m.clusterStats$.subscribe(() => react('clusterStats$'));
  // Rates hold: every slot handed out on a rated budget keeps the window and the gap.
  const rateStarts = new Map<string, number[]>();
  watch.onAcquire = (serverKey) => {
    const rate = model.rates?.find(([server]) => keyOf(server) === serverKey)?.[1];
    if (rate === undefined || slots.budgetOf(serverKey) !== serverKey) return;
    const now = scheduler.now();
    const times = rateStarts.get(serverKey) ?? [];
    rateStarts.set(serverKey, times);
    const last = times.at(-1);
    if (last !== undefined && now - last < rate.minTimeMs) fail(`${serverKey}: a start ${now - last} ms after the last (minTimeMs ${rate.minTimeMs})`);
    times.push(now);
    const inWindow = times.filter((t) => t > now - rate.intervalMs).length;
    if (inWindow > rate.starts) fail(`${serverKey}: ${inWindow} starts within ${rate.intervalMs} ms (rate ${rate.starts})`);
  };

  // ------------------------------------------------------------ the checker's own subscribers (first)
  const setState = (sub: Sub, state: Sub['state']): void => {
    const c = countsOf(sub.provider);
    if (sub.state === 'queued') c.queued--;
    else if (sub.state === 'running') c.running--;
    else if (sub.state === 'waiting') c.waiting--;
    sub.state = state;
    if (state === 'queued') c.queued++;
    else if (state === 'running') c.running++;
    else if (state === 'waiting') c.waiting++;
  };
  const markDone = (sub: Sub): void => {
    sub.done = true;
    waiting.delete(sub);
  };
  /**
   * Under aging, a task's effective priority is its priority plus the steps of agingMs on the grid
   * from the manager's creation since it was queued; the steps of `now` are common to all, so the
   * rank is the priority less the steps before it was queued. Commands do not age.
   */
  const rankOf = (sub: Sub): number => (model.agingMs === undefined || sub.lane === 0 ? sub.priority : sub.priority - Math.floor((sub.queuedAt - epoch) / model.agingMs));
  /** Commands first (FIFO among them: a command's priority is 0), then rank (priority, aged), then submission order. */
  const better = (a: Sub, b: Sub): boolean => a.lane < b.lane || (a.lane === b.lane && (rankOf(a) > rankOf(b) || (rankOf(a) === rankOf(b) && a.seq < b.seq)));
  const canUse = (provider: string, budgetKey: string): boolean => {
    if (paused.has(provider) || pauseChangedAt.get(provider) === scheduler.now()) return false;
    const uses = (pool: readonly string[]): boolean => pool.some((s) => budgetOf(s) === budgetKey);
    if (!uses(pools.get(provider) ?? [])) return false;
    const changed = poolChanged.get(provider);
    return changed === undefined || changed.at !== scheduler.now() || changed.versions.every(uses);
  };

  /** The hard limit of a budget now (an adaptive limit lets a heavier task run alone, up to it). */
  const hardLimit = (budgetKey: string): number => slots.budget(budgetKey).limit;
  const largestLimit = (provider: string): number => Math.max(0, ...(pools.get(provider) ?? []).map((server) => hardLimit(budgetOf(server))));
  /**
   * A task of `other`'s provider that ranks at or above it (itself included) waits and is heavier
   * than the budget's limit: it is passed over there, and `other` waits behind it in its queue.
   */
  const heavyAhead = (other: Sub, budgetKey: string): boolean =>
    limitChangedAt === scheduler.now() || [...waiting].some((w) => w.provider === other.provider && !better(other, w) && w.weight > hardLimit(budgetKey));

  /**
   * A start while a better task waited, noted until the time moves on: a heavy head cancelled in
   * the same transition leaves its queue (and the slots it held) before its `cancelled` event, so
   * the task that starts there is announced first. Only such a cancellation clears the note.
   */
  const suspects: Array<{ readonly other: Sub; readonly at: number; readonly message: string }> = [];
  const settleSuspects = (before: number): void => {
    for (let i = suspects.length - 1; i >= 0; i--) {
      const suspect = suspects[i] as (typeof suspects)[number];
      if (suspect.at >= before) continue;
      suspects.splice(i, 1);
      fail(suspect.message);
    }
  };

  m.events$.subscribe({
    next: (event: TaskEvent) => {
      step();
      settleSuspects(scheduler.now());
      if (trace !== undefined) note(`event ${event.type} ${event.id} ${JSON.stringify({ ...event, type: undefined, id: undefined, at: undefined })}`);
      if (event.type === 'queued') {
        const list = inFlight.get(event.id);
        const sub = list?.shift();
        if (list !== undefined && list.length === 0) inFlight.delete(event.id);
        if (sub === undefined) {
          fail(`queued event for ${event.id}, which no submission in flight has`);
          return;
        }
        sub.queuedSeen = true;
        if (sub.refused) fail(`queued event for the refused submission ${event.id}`);
        if (event.provider !== sub.provider) fail(`${event.id}: queued on ${event.provider}, submitted to ${sub.provider}`);
        if (event.priority !== sub.priority) fail(`${event.id}: queued with priority ${event.priority}`);
        live.set(event.id, sub);
        setState(sub, 'queued');
        if (sub.moveAfterQueued !== undefined) applyMove(sub, sub.moveAfterQueued);
        return;
      }
      const sub = live.get(event.id);
      if (sub === undefined) {
        fail(`${event.type} event for ${event.id}, which had no queued event`);
        return;
      }
      if (sub.outcomeEvents > 0 && event.type !== 'abandoned') fail(`${event.type} event for ${event.id} after its outcome event`);
      switch (event.type) {
        case 'waiting-for-slot':
          setState(sub, 'queued');
          waiting.add(sub);
          return;
        case 'started': {
          sub.starts++;
          if (event.attempt !== sub.starts) fail(`${event.id}: started attempt ${event.attempt}, expected ${sub.starts}`);
          setState(sub, 'running');
          waiting.delete(sub);
          const budgetKey = budgetOf(event.server);
          for (const other of waiting) {
            const moved = other.rankChangedAt === scheduler.now() || sub.rankChangedAt === scheduler.now() || sub === moving || other === moving;
            if (!moved && better(other, sub) && canUse(other.provider, budgetKey) && !heavyAhead(other, budgetKey)) {
              suspects.push({ other, at: scheduler.now(), message: `${event.id} (${sub.lane === 0 ? 'command' : `p${sub.priority}`}, #${sub.seq}) started on ${budgetKey} while ${other.id} (${other.lane === 0 ? 'command' : `p${other.priority}`}, #${other.seq}) of ${other.provider} waited` });
            }
          }
          return;
        }
        case 'retrying':
          setState(sub, 'waiting');
          return;
        case 'abandoned':
          slotEnd(sub, event.attempt);
          return;
        case 'succeeded':
        case 'failed':
        case 'cancelled': {
          if (event.type === 'cancelled') {
            for (let i = suspects.length - 1; i >= 0; i--) if (suspects[i]?.other === sub && suspects[i]?.at === scheduler.now()) suspects.splice(i, 1);
          }
          sub.outcomeEvents++;
          if (sub.outcomeEvents > 1) return;
          setState(sub, 'done');
          markDone(sub);
          const c = countsOf(sub.provider);
          if (event.type === 'succeeded') c.succeeded++;
          else if (event.type === 'failed') c.failed++;
          else c.cancelled++;
          return;
        }
      }
    },
    complete: () => {
      if (trace !== undefined) note('events$ complete');
      eventsCompleted = true;
      stopped = true;
      clock.stoppedAt = scheduler.now();
    },
  });

  const checkStats = (snapshot: StatsSnapshot, where: string): void => {
    const names = new Set([...Object.keys(snapshot.providers), ...counts.keys()]);
    for (const name of names) {
      const s = snapshot.providers[name];
      const d = countsOf(name);
      if (s === undefined) {
        fail(`${where}: provider ${name} missing from stats`);
        continue;
      }
      // A delayed task is queued as the events see it (its 'queued' event came at submission).
      if (s.queued + s.delayed !== d.queued || s.running !== d.running || s.waiting !== d.waiting || s.succeeded !== d.succeeded || s.failed !== d.failed || s.cancelled !== d.cancelled) {
        fail(`${where}: stats of ${name} ${JSON.stringify({ queued: s.queued, delayed: s.delayed, running: s.running, waiting: s.waiting, succeeded: s.succeeded, failed: s.failed, cancelled: s.cancelled })} != from events ${JSON.stringify(d)}`);
      }
    }
  };
  m.stats$.subscribe({
    next: (snapshot) => {
      if (trace !== undefined) note(`stats$ ${JSON.stringify(snapshot.providers)}`);
      if (statsCompleted) fail('stats$ emitted after it completed');
      checkStats(snapshot, 'stats$');
    },
    complete: () => {
      if (trace !== undefined) note('stats$ complete');
      statsCompleted = true;
    },
  });

  // The reacting subscribers.
  for (let i = 0; i < model.eventSubscribers; i++) m.events$.subscribe(() => react(`events$ subscriber ${i + 1}`));
  if (model.statsSubscriber) m.stats$.subscribe(() => react('stats$ subscriber'));

  // ------------------------------------------------------------ submissions
  function submit(spec: TaskSpec, id: string, provider: string, site: string): void {
    const lane: 0 | 1 = spec.kind === 'command' ? 0 : 1;
    const sub: Sub = {
      key: subs.length,
      id,
      provider,
      spec,
      lane,
      priority: lane === 0 ? 0 : spec.priority,
      seq: seq++,
      accepted: false,
      refused: false,
      queuedSeen: false,
      state: 'new',
      done: false,
      outcomes: [],
      outcomeEvents: 0,
      starts: 0,
      calls: [],
      holding: 0,
      heldUntil: -1,
      queuedAt: scheduler.now() + (lane === 1 && spec.delayMs !== undefined ? spec.delayMs : 0),
      rankChangedAt: undefined,
      moveAfterQueued: undefined,
      signal: lane === 1 && spec.signal ? abortController.signal : undefined,
      weight: lane === 1 && model.weighted && chance(weightRng, 0.35) ? int(weightRng, 2, 3) : 1,
    };
    subs.push(sub);
    byKey.set(sub.key, sub);
    let list = inFlight.get(id);
    if (list === undefined) inFlight.set(id, (list = []));
    list.push(sub);
    if (trace !== undefined) note(`${site} submits ${id} (${spec.kind}, p${spec.priority}) to ${provider}`);
    const afterShutdown = shutdownAsked;
    // Earlier submissions of this id that were not refused (one still inside its submit() call,
    // with user code running before it returns, is live too).
    const earlier = subs.filter((s) => s !== sub && s.id === id && !s.refused);
    let result;
    try {
      result =
        lane === 0
          ? m.command(provider, (ctx) => attempt(sub, ctx), { id, ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}) })
          : m.submit({
              provider,
              payload: { key: sub.key },
              id,
              priority: spec.priority,
              ...(spec.maxRetries !== undefined ? { maxRetries: spec.maxRetries } : {}),
              ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
              ...(spec.callbackName !== undefined ? { callbackName: spec.callbackName } : {}),
              ...(spec.delayMs !== undefined ? { delayMs: spec.delayMs } : {}),
              ...(sub.signal !== undefined ? { signal: sub.signal } : {}),
              ...(sub.weight !== 1 ? { weight: sub.weight } : {}),
            });
    } catch (error) {
      fail(`${lane === 0 ? 'command' : 'submit'}(${id}) (from ${site}) threw ${describe(error)}`);
      result = undefined;
    }
    if (trace !== undefined) note(`  submit ${id} -> ${result === undefined ? 'threw' : isRight(result) ? 'Right' : JSON.stringify(result.left)}`);
    if (result === undefined || !isRight(result)) {
      sub.refused = true;
      const at = list.indexOf(sub);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0 && inFlight.get(id) === list) inFlight.delete(id);
      if (sub.queuedSeen) fail(`${id} was refused (${JSON.stringify(result?.left)}) but had a queued event`);
      if (result === undefined) return;
      const tag = result.left._tag;
      if (afterShutdown && tag !== 'ShuttingDown') fail(`${id} submitted after shutdown() was refused with ${tag}, not ShuttingDown`);
      if (!afterShutdown) {
        if (provider === 'nope' && tag !== 'UnknownProvider' && tag !== 'ShuttingDown') fail(`${id} to an unknown provider refused with ${tag}`);
        if (provider !== 'nope' && tag === 'UnknownProvider') fail(`${id} to the known provider ${provider} refused as UnknownProvider`);
        if (tag === 'DuplicateId' && !earlier.some((s) => !s.done || s.holding > 0 || s.heldUntil >= scheduler.now())) fail(`${id} refused as DuplicateId though every earlier task with that id had its outcome and settled`);
        if (tag === 'InvalidTask') fail(`${id} refused as InvalidTask: ${JSON.stringify(result.left)}`);
        if (tag === 'Aborted' && sub.signal?.aborted !== true) fail(`${id} refused as Aborted though its signal was not aborted`);
        const poolMoved = poolChanged.get(provider)?.at === scheduler.now() || limitChangedAt === scheduler.now();
        if (tag === 'TooHeavy' && !poolMoved && !(sub.weight > largestLimit(provider))) fail(`${id} of weight ${sub.weight} refused as TooHeavy though a server of ${provider} has limit ${largestLimit(provider)}`);
        if (tag === 'ShuttingDown' && !shutdownCalled) fail(`${id} refused as ShuttingDown before any shutdown() call`);
      }
      return;
    }
    sub.accepted = true;
    if (afterShutdown) fail(`${id} accepted after shutdown() was called`);
    if (provider === 'nope') fail(`${id} accepted for an unknown provider`);
    const handleId = result.right.id;
    if (handleId !== id) fail(`handle of ${id} has id ${handleId}`);
    result.right.outcome$.subscribe((outcome) => {
      if (trace !== undefined) note(`outcome$ ${id} ${outcome._tag}`);
      sub.outcomes.push(outcome);
      if (outcome.id !== id) fail(`outcome of ${id} carries id ${outcome.id}`);
      if (!sub.done) markDone(sub);
    });
    if (chance(rng, model.pOutcomeSubscriber)) result.right.outcome$.subscribe(() => react('outcome$ subscriber'));
  }

  model.tasks.forEach((spec, i) => {
    scheduler.schedule(() => {
      if (!stopped) checkStats(m.stats(), `stats() before t${i}`);
      submit(spec, `t${i}`, names[spec.provider] as string, 'the test');
    }, spec.at);
  });
  if (model.shutdown !== undefined) {
    const { mode, graceMs } = model.shutdown;
    scheduler.schedule(() => askShutdown(mode, graceMs, 'the test'), model.shutdown.at);
  }
  scheduler.schedule(() => {
    reactive = false;
    if (trace !== undefined) note(`the test restores every limit to ${model.weighted ? 3 : 2} and gives empty pools a server; pools: ${JSON.stringify([...pools])}`);
    try {
      limitChangedAt = scheduler.now();
      // Weighted models: 3, so that every accepted task fits somewhere.
      for (const server of SERVERS) m.setServerLimit(server, model.weighted ? 3 : 2);
      // Every pool is set again (a pool replaced from user code is not re-read from the manager).
      for (const [name, pool] of pools) {
        const servers = pool.length > 0 ? pool : [SERVERS[0]];
        if (isRight(m.updateProviderServers(name, servers))) pools.set(name, servers);
      }
    } catch (error) {
      fail(`restoring limits and pools threw ${describe(error)}`);
    }
    askShutdown('drain', Infinity, 'the test');
  }, END_AT);

  try {
    flush();
  } catch (error) {
    fail(`an exception escaped into the scheduler: ${describe(error)}${isUserThrow(error) ? ' (a user throw)' : ''}${trace !== undefined && error instanceof Error ? `\n${error.stack}` : ''}`);
    return Promise.resolve({ seed: model.seed, violations, accepted: subs.filter((s) => s.accepted).length, reactions, throws });
  }
  settleSuspects(Infinity);
  if (scheduler.actions.length > 0) fail(`virtual time ran past ${MAX_FRAMES} ms with ${scheduler.actions.length} action(s) left: a runaway`);

  return (async () => {
    for (let i = 0; i < 20 && report === undefined; i++) await Promise.resolve();
    for (const error of unhandled) if (!isUserThrow(error)) fail(`rxjs was handed an error that is not a user throw: ${describe(error)}`);
    if (report === undefined) fail('shutdown() did not resolve');
    if (clock.ranAfterStop > 0) fail(`${clock.ranAfterStop} action(s) of the manager ran after it stopped (events$ had completed): timers left behind`);
    if (!eventsCompleted) fail('events$ did not complete');
    if (!statsCompleted) fail('stats$ did not complete');
    // Poke the stopped manager: nothing may be booked or emitted.
    if (report !== undefined) {
      try {
        const late = m.submit({ provider: names[0] as string, payload: { key: -1 }, id: 'late' });
        if (isRight(late) || late.left._tag !== 'ShuttingDown') fail(`submit after shutdown: ${JSON.stringify(late)}`);
        if (m.cancel('t0')._tag !== 'ShutDown') fail('cancel after shutdown did not say ShutDown');
        m.setServerLimit(SERVERS[0], 3);
        m.updateProviderServers(names[0] as string, [SERVERS[1]]);
      } catch (error) {
        fail(`the stopped manager threw ${describe(error)}`);
      }
      if (clock.pending.size > 0) fail(`${clock.pending.size} action(s) of the manager left after shutdown() resolved`);
    }

    const tally = { succeeded: 0, failed: 0, cancelled: 0 };
    const cancelledByShutdown: string[] = [];
    for (const sub of subs) {
      if (!sub.accepted) {
        if (sub.outcomeEvents > 0) fail(`${sub.id} was refused but has ${sub.outcomeEvents} outcome event(s)`);
        continue;
      }
      if (sub.outcomes.length !== 1) fail(`${sub.id}: ${sub.outcomes.length} outcomes on its handle`);
      if (sub.outcomeEvents !== 1) fail(`${sub.id}: ${sub.outcomeEvents} outcome events`);
      const outcome = sub.outcomes[0];
      if (outcome === undefined) continue;
      if (outcome._tag === 'Succeeded') tally.succeeded++;
      else if (outcome._tag === 'Failed') tally.failed++;
      else {
        tally.cancelled++;
        if (outcome.reason === 'shutdown') cancelledByShutdown.push(sub.id);
        if (outcome.reason === 'abort' && sub.signal?.aborted !== true) fail(`${sub.id} cancelled by an abort, but its signal was not aborted`);
        if (outcome.reason === 'abort' && outcome.abortReason !== sub.signal?.reason) fail(`${sub.id}: abortReason ${describe(outcome.abortReason)} is not its signal's reason`);
      }
      if (sub.outcomeEvents === 1 && outcome.attempts !== sub.starts) fail(`${sub.id}: outcome says ${outcome.attempts} attempts, ${sub.starts} started`);
      const tooLate = sub.calls.filter((n) => n > sub.starts);
      if (tooLate.length > 0) fail(`${sub.id}: handler called for attempt(s) ${tooLate.join(',')} but only ${sub.starts} started`);
    }
    if (holders.size > 0) fail(`${holders.size} attempt(s) still hold a slot at the end: ${[...holders.keys()].join(', ')}`);
    if (watch.taken.size > 0) fail(`slots still taken after shutdown: ${JSON.stringify([...watch.taken])}`);
    if (report !== undefined) {
      if (report.succeeded !== tally.succeeded || report.failed !== tally.failed || report.cancelled !== tally.cancelled) {
        fail(`report ${report.succeeded}/${report.failed}/${report.cancelled} != outcomes ${tally.succeeded}/${tally.failed}/${tally.cancelled}`);
      }
      const reported = [...report.unfinished.map((t) => String(t.id)), ...report.unfinishedCommands].sort();
      cancelledByShutdown.sort();
      if (reported.join(',') !== cancelledByShutdown.join(',')) fail(`report.unfinished ${reported.join(',')} != cancelled by the shutdown ${cancelledByShutdown.join(',')}`);
      const after = m.stats();
      checkStats(after, 'stats() after shutdown');
      for (const [name, p] of Object.entries(after.providers)) {
        if (p.queued !== 0 || p.running !== 0 || p.waiting !== 0) fail(`${name} still has work after shutdown: ${JSON.stringify(p)}`);
      }
    }
    return { seed: model.seed, violations, accepted: subs.filter((s) => s.accepted).length, reactions, throws, fleet: { ...fleetEvents, checkedStarts: watch.fleetChecks } };
  })();
}

/** Runs seeds from `first` on, `count` of them; stops once `keep` seeds have failed. */
export async function runSeeds(first: number, count: number, keep = 1): Promise<{ failures: SeedResult[]; ran: number; ms: number; fleet: FleetCoverage }> {
  const failures: SeedResult[] = [];
  const started = performance.now();
  let ran = 0;
  const fleet: FleetCoverage = { seeds: 0, 'limit-changed': 0, 'server-ejected': 0, 'server-restored': 0, checkedStarts: 0 };
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSeed(seed);
    ran++;
    if (result.fleet !== undefined && generateModel(seed).fleet !== undefined) {
      fleet.seeds++;
      for (const key of ['limit-changed', 'server-ejected', 'server-restored', 'checkedStarts'] as const) fleet[key] += result.fleet[key];
    }
    if (result.violations.length > 0) {
      failures.push(result);
      if (failures.length >= keep) break;
    }
  }
  return { failures, ran, ms: performance.now() - started, fleet };
}

/** Over a run of seeds: how many turned the fleet options on, their serverEvents$ by type, and the starts checked against an adaptive limit or a health state. */
export interface FleetCoverage {
  seeds: number;
  'limit-changed': number;
  'server-ejected': number;
  'server-restored': number;
  checkedStarts: number;
}

/** Kinds of violations (ids, numbers and times blanked out), most frequent first, each with its first seed. */
export function violationKinds(failures: readonly SeedResult[]): Array<{ kind: string; seeds: number; firstSeed: number; example: string }> {
  const kinds = new Map<string, { kind: string; seeds: number; firstSeed: number; example: string }>();
  for (const failure of failures) {
    const seen = new Set<string>();
    for (const violation of failure.violations) {
      const kind = violation
        .replace(/^t=\d+ /, '')
        .replace(/\b[trx]\d+\b/g, '<id>')
        .replace(/\{.*\}/g, '{…}')
        .replace(/\d+/g, 'N');
      if (seen.has(kind)) continue;
      seen.add(kind);
      const entry = kinds.get(kind);
      if (entry === undefined) kinds.set(kind, { kind, seeds: 1, firstSeed: failure.seed, example: violation });
      else entry.seeds++;
    }
  }
  return [...kinds.values()].sort((a, b) => b.seeds - a.seeds);
}
