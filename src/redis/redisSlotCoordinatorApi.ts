import type { Observable } from 'rxjs';
import type { ClusterBudgetState, ClusterStats } from '../slots/slotCoordinator.js';
import type { RateLimitedCoordinator } from '../slots/rateLimitedCoordinator.js';
import type { RedisCoordinatorError } from './redisCoordinatorError.js';

export type { ClusterBudgetState, ClusterStats };

/**
 * A slot coordinator whose slots are shared by every process using the same Redis and key prefix.
 * Its start rates (`setRate`, `rates()`) are cluster-wide too: the manager's `rateLimits` and
 * `setRateLimit` use them instead of counting per process.
 */
export interface RedisSlotCoordinator extends RateLimitedCoordinator {
  readonly instanceName: string;
  /**
   * Problems with Redis. The coordinator carries on and recovers by itself; while Redis cannot be
   * reached it grants nothing. Hot; completes on close.
   */
  readonly errors$: Observable<RedisCoordinatorError>;
  /** Whether Redis answers, starting with the current state. Completes on close. */
  readonly connected$: Observable<boolean>;
  /** The cluster-wide limit, live leases and waiting instances of a budget key. */
  clusterBudget(budgetKey: string): Promise<ClusterBudgetState>;
  /**
   * `clusterBudget` of every budget this process knows (its limit keys and the budgets its servers
   * draw on), by budget key: one script call per budget, sent together. Frozen.
   */
  clusterStats(): Promise<ClusterStats>;
  /**
   * `clusterStats()` every `clusterStatsMs` while subscribed; all subscribers share one poll and a
   * late one gets the last snapshot at once. A failed read (Redis down) is skipped. Completes on close.
   */
  readonly clusterStats$: Observable<ClusterStats>;
}
