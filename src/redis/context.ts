import type { SchedulerLike } from 'rxjs';
import type { RedisClient } from './client.js';
import { budgetKeys, type BudgetKeys } from './keys.js';
import type { RedisCoordinatorErrorKind } from './redisCoordinatorError.js';

/** What the parts of one coordinator share. @internal */
export interface RedisContext {
  readonly client: RedisClient;
  readonly prefix: string;
  readonly instanceName: string;
  readonly channel: string;
  readonly leaseMs: number;
  /** The default limit as the scripts take it ('inf' or an integer). */
  readonly defaultLimitText: string;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  /** Redis answers and this process holds its instance name: slots may be asked for. */
  canAsk(): boolean;
  /** Counts connection drops: an answer to a request sent before a drop may predate a fence. */
  generation(): number;
  /** Reports a problem on `errors$` and to the logger. */
  report(kind: RedisCoordinatorErrorKind, message: string, cause?: unknown): void;
  /** Logs news that is not a problem. */
  log(level: 'info' | 'warn', message: string): void;
}

/** The keys of a budget, memoised: they are built on every acquire and release. */
export function keysOf(ctx: RedisContext, cache: Map<string, BudgetKeys>, budget: string): BudgetKeys {
  let keys = cache.get(budget);
  if (keys === undefined) {
    keys = budgetKeys(ctx.prefix, budget);
    cache.set(budget, keys);
  }
  return keys;
}
