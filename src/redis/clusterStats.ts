import { catchError, EMPTY, exhaustMap, from, type Observable, type SchedulerLike, shareReplay, takeUntil, timer } from 'rxjs';
import { runScript } from './client.js';
import { keysOf, type RedisContext } from './context.js';
import type { BudgetKeys } from './keys.js';
import type { ClusterBudgetState, ClusterStats } from './redisSlotCoordinatorApi.js';
import { INSPECT } from './scripts.js';
import { decodeLimit } from './wire.js';

/** One budget's cluster-wide state: one read-only script call on the budget's node. */
export async function inspectBudget(ctx: RedisContext, keys: Map<string, BudgetKeys>, budget: string, defaultLimit: number): Promise<ClusterBudgetState> {
  const k = keysOf(ctx, keys, budget);
  const reply = (await runScript(ctx.client, INSPECT, [k.leases, k.waiters, k.waiterTtl, k.limit], [ctx.defaultLimitText])) as [string, number, number];
  return { limit: decodeLimit(reply[0]) ?? defaultLimit, inUse: reply[1], waiters: reply[2] };
}

/** Reads the cluster-wide state of the given budgets, one script call each, sent together. */
export async function readClusterStats(budgets: Iterable<string>, inspect: (budget: string) => Promise<ClusterBudgetState>): Promise<ClusterStats> {
  const list = [...new Set(budgets)].sort();
  const states = await Promise.all(list.map(inspect));
  const stats: Record<string, ClusterBudgetState> = {};
  // Keys such as `__proto__` must become ordinary keys.
  list.forEach((budget, i) => Object.defineProperty(stats, budget, { value: states[i], enumerable: true }));
  return Object.freeze(stats);
}

/**
 * Polls `read` every `everyMs` while someone is subscribed; every subscriber shares one poll, and a
 * late one gets the last snapshot at once. A read still on its way when the next is due is not
 * doubled (a slow Redis is not asked more); a failed read is skipped (outages are reported on
 * errors$). Completes when `until$` emits.
 */
export function pollClusterStats(read: () => Promise<ClusterStats>, everyMs: number, scheduler: SchedulerLike, until$: Observable<unknown>): Observable<ClusterStats> {
  return timer(0, everyMs, scheduler).pipe(
    exhaustMap(() => from(read()).pipe(catchError(() => EMPTY))),
    takeUntil(until$),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
}
