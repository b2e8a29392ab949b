import { asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  check,
  checkOptional,
  expectFunction,
  expectLimit,
  expectNonEmptyString,
  expectNonNegativeInteger,
  expectNonNegativeOrInfinity,
  expectPositiveOrInfinity, expectLogger, expectScheduler } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { readArray, readField, readFields, UNREADABLE } from '../errors/readOnce.js';
import { checkAgingMs } from '../queues/priorityAging.js';
import { resolveBackoff } from '../operators/backoff.js';
import { readProvider } from './readProvider.js';
import { localSlotCoordinator } from '../slots/localSlotCoordinator.js';
import type { SlotCoordinator } from '../slots/slotCoordinator.js';
import { checkRate, keepsRates, rateLimitedCoordinator, type RateLimit, type RateLimitedCoordinator } from '../slots/rateLimitedCoordinator.js';
import { resolveFleet, type FleetOptions, type FleetSettings } from '../slots/fleet/fleetSettings.js';
import type { BackoffOptions, Logger, Provider } from '../types.js';

/**
 * Options of {@link createTaskManager}.
 * @typeParam Ps - the providers, whose names, payloads and results the manager's type carries
 * @since 0.1.0
 */
export interface TaskManagerOptions<Ps extends readonly Provider[] = readonly Provider[]> extends FleetOptions {
  /** The work pools. Names must be unique and non-empty. Providers of any payload and result types are accepted. */
  readonly providers: Ps;
  /** Server URL or URL prefix -> max parallel attempts (integer >= 0 or Infinity). */
  readonly serverLimits?: Readonly<Record<string, number>>;
  /** Per server when no limit key covers it. @default 1 */
  readonly defaultServerLimit?: number;
  readonly retry?: {
    /** Retries after the first attempt. @default 0 */
    readonly maxRetries?: number;
    readonly backoff?: BackoffOptions;
    /** False stops retries for that error. A throwing function counts as false. */
    readonly isRetryable?: (error: unknown) => boolean;
  };
  /** Per-attempt timeout in ms (> 0 or Infinity), or a function of (callbackName, provider). @default 60_000 */
  readonly timeout?: number | ((callbackName: string, provider: string) => number);
  /**
   * How long a handler that ignores its aborted signal (after a timeout or cancel) keeps its slot
   * before it is abandoned, in ms. @default the attempt's timeout (60 s when that is Infinity)
   */
  readonly abandonAfterMs?: number;
  /**
   * The smallest gap between two `progress` events of one attempt, in ms (> 0): `ctx.progress` calls
   * in between are coalesced, and the latest value is emitted when the gap ends. @default 100
   */
  readonly progressIntervalMs?: number;
  /**
   * Start rates by budget key (a key of `serverLimits`, or a server's own key): at most `starts` per
   * sliding `intervalMs`, at least `minTimeMs` between two starts. Changed live with
   * `setRateLimit`. Absent: no rate is checked (and nothing is paid for it). A coordinator that keeps
   * rates itself (`smt-rx/redis`: cluster-wide) takes them as they are, and `setRateLimit` works
   * with it without this option.
   */
  readonly rateLimits?: Readonly<Record<string, RateLimit>>;
  /**
   * Priority aging: a queued task rises one priority level per `agingMs` (> 0, finite) on the
   * scheduler's clock, counted on a grid from the manager's creation, so a steady stream of higher
   * tasks cannot hold a lower one back forever. One clock for every provider (the slot broker ranks
   * their tasks against each other). Commands do not age. Absent: no aging, and nothing is paid.
   */
  readonly agingMs?: number;
  readonly slotWait?: {
    /** Max wait from (re)entering the queue to the attempt's start; longer fails with SlotWaitTimeoutError. @default Infinity */
    readonly maxWaitMs?: number;
  };
  /** @default asyncScheduler; a TestScheduler in marble tests. */
  readonly scheduler?: SchedulerLike;
  /** Jitter source. @default Math.random */
  readonly random?: () => number;
  /** @default an in-process coordinator built from serverLimits and defaultServerLimit */
  readonly coordinator?: SlotCoordinator;
  /** pino-compatible. Nothing is logged per task at info level. */
  readonly logger?: Logger;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/** @internal */
export interface ResolvedOptions {
  readonly providers: TaskManagerOptions['providers'];
  readonly maxRetries: number;
  readonly backoff: Required<BackoffOptions>;
  readonly isRetryable: ((error: unknown) => boolean) | undefined;
  readonly timeout: number | ((callbackName: string, provider: string) => number);
  readonly abandonAfterMs: number | undefined;
  readonly progressIntervalMs: number;
  readonly agingMs: number | undefined;
  readonly maxSlotWaitMs: number;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly coordinator: SlotCoordinator;
  readonly ownsCoordinator: boolean;
  /** The coordinator, when `rateLimits` wrapped it (so `setRateLimit` can reach it). */
  readonly rated: RateLimitedCoordinator | undefined;
  readonly logger: Logger | undefined;
  /** Adaptive limits, health, load-aware choice: undefined when none is on. */
  readonly fleet: FleetSettings | undefined;
}

type RetryOptions = NonNullable<TaskManagerOptions['retry']>;

const OPTION_KEYS = [
  'providers', 'serverLimits', 'defaultServerLimit', 'retry', 'timeout', 'abandonAfterMs', 'slotWait', 'scheduler', 'random', 'coordinator', 'logger',
  'adaptiveLimits', 'health', 'serverChoice', 'progressIntervalMs', 'rateLimits', 'agingMs',
] as const satisfies ReadonlyArray<keyof TaskManagerOptions>;
// Every option is in the copy: a new option left out of OPTION_KEYS would be silently ignored.
type UnreadOption = Exclude<keyof TaskManagerOptions, (typeof OPTION_KEYS)[number]>;
const everyOptionRead: [UnreadOption] extends [never] ? true : UnreadOption = true;
void everyOptionRead;
const RETRY_KEYS = ['maxRetries', 'backoff', 'isRetryable'] as const satisfies ReadonlyArray<keyof RetryOptions>;

/**
 * Validates every option at the boundary; a wrong one throws a TypeError naming it. Each field is
 * read once (see readOnce.ts), and the copy is what is checked and used.
 */
export function resolveOptions(given: TaskManagerOptions): ResolvedOptions {
  if (given === null || typeof given !== 'object') {
    throw new InvalidOptionError('options', 'an object', given);
  }
  const options = readFields(given, OPTION_KEYS, '') as TaskManagerOptions;
  const providers = readProviders(options.providers);
  checkOptional('defaultServerLimit', options.defaultServerLimit, expectLimit);
  if (options.coordinator !== undefined && (options.serverLimits !== undefined || options.defaultServerLimit !== undefined)) {
    throw new TypeError('Give `serverLimits` and `defaultServerLimit` to the coordinator, not beside `coordinator`');
  }
  const serverLimits = options.serverLimits === undefined ? undefined : readServerLimits(options.serverLimits);
  checkOptional('retry', options.retry, expectPlainObject);
  checkOptional('slotWait', options.slotWait, expectPlainObject);
  checkOptional('coordinator', options.coordinator, expectCoordinator);
  const retry: RetryOptions = options.retry === undefined ? {} : (readFields(options.retry, RETRY_KEYS, 'retry.') as RetryOptions);
  const slotWait = options.slotWait === undefined ? {} : readFields(options.slotWait, ['maxWaitMs'], 'slotWait.');
  checkOptional('retry.maxRetries', retry.maxRetries, expectNonNegativeInteger);
  checkOptional('retry.isRetryable', retry.isRetryable, expectFunction);
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== 'function') check('timeout', timeout, expectPositiveOrInfinity);
  checkOptional('abandonAfterMs', options.abandonAfterMs, expectNonNegativeOrInfinity);
  checkOptional('progressIntervalMs', options.progressIntervalMs, expectPositiveOrInfinity);
  checkAgingMs(options.agingMs);
  checkOptional('slotWait.maxWaitMs', slotWait.maxWaitMs, expectPositiveOrInfinity);
  checkOptional('scheduler', options.scheduler, expectScheduler);
  checkOptional('random', options.random, expectFunction);
  checkOptional('logger', options.logger, expectLogger);
  const fleet = resolveFleet(options);
  const coordinator =
    options.coordinator ??
    localSlotCoordinator({
      ...(serverLimits !== undefined || fleet !== undefined ? { limits: withCaps(serverLimits, fleet) } : {}),
      ...(options.defaultServerLimit !== undefined ? { defaultLimit: options.defaultServerLimit } : {}),
    });
  if (options.rateLimits !== undefined && (options.rateLimits === null || typeof options.rateLimits !== 'object')) {
    throw new InvalidOptionError('rateLimits', 'an object of rates by server key or prefix', options.rateLimits);
  }
  const rated = keepsRates(coordinator)
    ? setRates(coordinator, options.rateLimits)
    : options.rateLimits === undefined
      ? undefined
      : rateLimitedCoordinator(coordinator, { rates: options.rateLimits, scheduler: options.scheduler ?? asyncScheduler, closesInner: options.coordinator === undefined });
  return {
    providers,
    maxRetries: retry.maxRetries ?? 0,
    backoff: resolveBackoff(retry.backoff, 'retry.backoff'),
    isRetryable: retry.isRetryable,
    timeout,
    abandonAfterMs: options.abandonAfterMs,
    progressIntervalMs: options.progressIntervalMs ?? 100,
    agingMs: options.agingMs,
    maxSlotWaitMs: (slotWait.maxWaitMs as number | undefined) ?? Infinity,
    scheduler: options.scheduler ?? asyncScheduler,
    random: options.random ?? Math.random,
    coordinator: rated ?? coordinator,
    // A wrapper of ours is closed by us (it closes a coordinator you gave only if we made it).
    // A wrapper made here is the manager's; a given coordinator that keeps rates itself stays the caller's.
    ownsCoordinator: options.coordinator === undefined || (rated !== undefined && rated !== options.coordinator),
    rated,
    logger: options.logger,
    fleet,
  };
}

/** An adaptive key's hard cap is its `max`, unless `serverLimits` gives that key a limit of its own. */
function withCaps(limits: Readonly<Record<string, number>> | undefined, fleet: FleetSettings | undefined): Record<string, number> {
  const caps = Object.fromEntries([...(fleet?.adaptive ?? [])].map(([key, { bounds }]) => [key, bounds.max]));
  return { ...caps, ...limits };
}

const expectPlainObject = (v: unknown): string | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object';

const COORDINATOR_METHODS = ['budgetOf', 'budget', 'tryAcquire', 'release', 'setLimit', 'removeLimit', 'limits', 'close'];

// Duck-typed: the Redis coordinator and user-written ones are not instances of one class.
const expectCoordinator = (v: unknown): string | undefined => {
  if (v === null || typeof v !== 'object') return 'a SlotCoordinator';
  const c = v as Record<string, unknown>;
  const changes = c['changes$'] as { subscribe?: unknown } | null | undefined;
  return COORDINATOR_METHODS.every((m) => typeof c[m] === 'function') && typeof changes?.subscribe === 'function'
    ? undefined
    : `a SlotCoordinator (${COORDINATOR_METHODS.join(', ')} and changes$)`;
};

/** The object itself and its keys, copied; the limits are checked by the coordinator that takes them. */
function readServerLimits(limits: unknown): Record<string, number> {
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
    throw new InvalidOptionError('serverLimits', 'an object of server key -> limit', limits);
  }
  let keys: string[];
  try {
    keys = Object.keys(limits);
  } catch (thrown) {
    throw new InvalidOptionError('serverLimits', UNREADABLE, thrown);
  }
  const copy = Object.create(null) as Record<string, number>; // keys such as __proto__ stay keys
  for (const key of keys) {
    if (expectNonEmptyString(key, 2048) !== undefined) {
      throw new InvalidOptionError('serverLimits', 'an object whose keys are servers or URL prefixes of 1 to 2048 characters', key);
    }
    copy[key] = readField(limits, key, `serverLimits[${JSON.stringify(key)}]`) as number;
  }
  return copy;
}

/** The providers, each read once into a checked copy (readProvider.ts); names must be unique. */
function readProviders<Ps extends readonly Provider[]>(given: Ps): Ps {
  const providers = readArray(given, 'providers');
  if (providers === undefined) throw new InvalidOptionError('providers', 'an array of providers', given);
  const names = new Set<string>();
  return providers.map((provider, i) => {
    const copy = readProvider(provider as Provider, `providers[${i}]`);
    if (names.has(copy.name)) throw new InvalidOptionError(`providers[${i}].name`, 'a name no other provider has', copy.name);
    names.add(copy.name);
    return copy;
  }) as unknown as Ps;
}

/** A coordinator that keeps rates itself (smt-rx/redis: cluster-wide) takes `rateLimits` as they are. */
function setRates(coordinator: RateLimitedCoordinator, rates: Readonly<Record<string, RateLimit>> | undefined): RateLimitedCoordinator {
  const checked = Object.entries(rates ?? {}).map(([key, rate]) => [key, checkRate(rate, `rateLimits[${JSON.stringify(key)}]`)] as const);
  for (const [key, rate] of checked) coordinator.setRate(key, rate);
  return coordinator;
}
