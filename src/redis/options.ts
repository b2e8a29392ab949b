import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { check, checkOptional, expectFunction, expectLimit, expectNonEmptyString, expectPositiveOrInfinity, expectLogger, expectScheduler } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import type { Logger } from '../types.js';
import { checkRate, type RateLimit } from '../slots/rateLimitedCoordinator.js';
import type { RedisOptions } from 'ioredis';
import { isRedisClient, type RedisClient } from './client.js';

/** Options of {@link redisSlotCoordinator}. */
export interface RedisSlotCoordinatorOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`) that you own and close; or a `redis://` URL, or
   * ioredis options (for Sentinel: `{ sentinels: [{ host, port }, ...], name: 'mymaster' }`), for a
   * client the coordinator creates and closes. A second connection (for pub/sub) is duplicated
   * from it either way.
   */
  readonly redis: RedisClient | string | RedisOptions;
  /**
   * This process's name, unique among the live processes sharing `keyPrefix`: a second live
   * process with the same name is refused. After a crash the name frees within `leaseMs`.
   */
  readonly instanceName: string;
  /** Prefix of every key and of the pub/sub channel. No `{` or `}`. @default 'smt' */
  readonly keyPrefix?: string;
  /**
   * How long a slot stays held without renewal, in ms; renewed every third of it. A process killed
   * with SIGKILL gives its slots back within this time. @default 10_000
   */
  readonly leaseMs?: number;
  /**
   * The limit of a server that no limit key covers. Use the same value on every instance: each
   * one applies its own. @default 1
   */
  readonly defaultLimit?: number;
  /**
   * Limits by server key or URL prefix, written to Redis at start (replacing the stored value of
   * those keys) and announced to the other instances.
   */
  readonly limits?: Readonly<Record<string, number>>;
  /**
   * Start rates by budget key (a limit key, or a server's own key), cluster-wide: at most `starts`
   * attempt starts in any `intervalMs` and at least `minTimeMs` between two, counted over every
   * process. Written to Redis at start like `limits`; live through `setRate`.
   */
  readonly rates?: Readonly<Record<string, RateLimit>>;
  /**
   * How often `clusterStats$` reads Redis while subscribed, in ms: each read is one script call
   * per known budget, shared by every subscriber. @default 1_000
   */
  readonly clusterStatsMs?: number;
  /** How long creation waits for Redis before it fails, in ms. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Renewals and safety-net polls run on it. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Jitter source for the safety-net polls. @default Math.random */
  readonly random?: () => number;
  /** pino-compatible; connection problems are logged at error, recoveries at info. */
  readonly logger?: Logger;
}

/** @internal */
export interface ResolvedRedisOptions {
  readonly redis: RedisClient | string | RedisOptions;
  readonly instanceName: string;
  readonly keyPrefix: string;
  readonly leaseMs: number;
  readonly defaultLimit: number;
  readonly limits: ReadonlyMap<string, number>;
  readonly rates: ReadonlyMap<string, Required<RateLimit>>;
  readonly connectTimeoutMs: number;
  readonly clusterStatsMs: number;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly logger: Logger | undefined;
}

export const DEFAULT_LEASE_MS = 10_000;
const MIN_LEASE_MS = 100;
const MIN_STATS_MS = 50;
/** The longest limit key, as `setLimit` and the manager's `serverLimits` take it. */
export const MAX_LIMIT_KEY = 2048;

/** Validates every option; a wrong one throws a TypeError naming it. */
export function resolveRedisOptions(options: RedisSlotCoordinatorOptions): ResolvedRedisOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options);
  check('redis', options.redis, (v) =>
    (typeof v === 'string' && v.length > 0) || isRedisClient(v) || isPlainObject(v)
      ? undefined
      : 'an ioredis client, a redis:// URL, or ioredis options such as { sentinels, name }',
  );
  check('instanceName', options.instanceName, (v) => expectNonEmptyString(v, 200));
  checkOptional('keyPrefix', options.keyPrefix, (v) => expectNonEmptyString(v, 100) ?? (/[{}]/.test(v as string) ? 'a string without { or }' : undefined));
  checkOptional('leaseMs', options.leaseMs, (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= MIN_LEASE_MS ? undefined : `an integer from ${MIN_LEASE_MS} and up`,
  );
  checkOptional('defaultLimit', options.defaultLimit, expectLimit);
  checkOptional('clusterStatsMs', options.clusterStatsMs, (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= MIN_STATS_MS ? undefined : `an integer from ${MIN_STATS_MS} and up`,
  );
  checkOptional('connectTimeoutMs', options.connectTimeoutMs, expectPositiveOrInfinity);
  checkOptional('scheduler', options.scheduler, expectScheduler);
  checkOptional('random', options.random, expectFunction);
  checkOptional('logger', options.logger, expectLogger);
  return {
    redis: options.redis,
    instanceName: options.instanceName,
    keyPrefix: options.keyPrefix ?? 'smt',
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    defaultLimit: options.defaultLimit ?? 1,
    limits: resolveLimits(options.limits),
    rates: resolveRates(options.rates),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    clusterStatsMs: options.clusterStatsMs ?? 1_000,
    scheduler: options.scheduler ?? asyncScheduler,
    random: options.random ?? Math.random,
    logger: options.logger,
  };
}

function isPlainObject(v: unknown): v is RedisOptions {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function resolveLimits(limits: unknown): ReadonlyMap<string, number> {
  const resolved = new Map<string, number>();
  if (limits === undefined) return resolved;
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
    throw new InvalidOptionError('limits', 'an object of server key -> limit', limits);
  }
  for (const [key, limit] of Object.entries(limits)) {
    // The same keys setLimit/removeLimit accept: a key they refuse could never be removed again.
    if (expectNonEmptyString(key, MAX_LIMIT_KEY) !== undefined) {
      throw new InvalidOptionError('limits', `an object whose keys are servers or URL prefixes of 1 to ${MAX_LIMIT_KEY} characters`, key);
    }
    check(`limits[${JSON.stringify(key)}]`, limit, expectLimit);
    resolved.set(key, limit as number);
  }
  return resolved;
}

function resolveRates(rates: unknown): ReadonlyMap<string, Required<RateLimit>> {
  const resolved = new Map<string, Required<RateLimit>>();
  if (rates === undefined) return resolved;
  if (rates === null || typeof rates !== 'object' || Array.isArray(rates)) {
    throw new InvalidOptionError('rates', 'an object of budget key -> { starts?, intervalMs?, minTimeMs? }', rates);
  }
  for (const [key, rate] of Object.entries(rates as Record<string, RateLimit>)) {
    if (expectNonEmptyString(key, MAX_LIMIT_KEY) !== undefined) {
      throw new InvalidOptionError('rates', `an object whose keys are budget keys of 1 to ${MAX_LIMIT_KEY} characters`, key);
    }
    resolved.set(key, checkRate(rate, `rates[${JSON.stringify(key)}]`));
  }
  return resolved;
}
