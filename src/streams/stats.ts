import { withoutCredentials } from '../internal/credentials.js';
import { normalizeServerKey } from '../slots/serverKey.js';
import type { SlotBroker } from '../slots/slotBroker.js';
import type { FleetCoordinator } from '../slots/fleet/fleetCoordinator.js';
import type { SlotCoordinator } from '../slots/slotCoordinator.js';
import type { BudgetStats, ProviderStats, StatsSnapshot } from '../types.js';
import type { Lane, TaskRecord } from './taskRecord.js';

/** A snapshot of every provider's counters and every budget its pools draw on. @internal */
export function buildStats(lanes: Iterable<Lane>, broker: SlotBroker<TaskRecord>, fleet?: FleetCoordinator): StatsSnapshot {
  const providers: Record<string, ProviderStats> = {};
  for (const lane of lanes) setOwn(providers, lane.name, { ...lane.stats(), budgetOf: budgetsOfPool(lane.servers$.value, broker.coordinator) });
  const servers: Record<string, BudgetStats> = {};
  for (const budget of broker.budgets()) {
    let waiters = 0;
    for (const member of broker.membersOf(budget)) waiters += member.queue.size;
    const { limit, inUse } = broker.coordinator.budget(budget);
    setOwn(servers, budget, fleet === undefined ? { limit, inUse, waiters } : { limit, inUse, waiters, ...fleet.describe(budget) });
  }
  return { providers, servers };
}

/** Server keys of a pool, parsed once per pool (a pool change is a new array). */
const poolKeys = new WeakMap<readonly string[], readonly string[]>();

/** Pool entry -> the budget it draws on now (limits change live, so it is asked each time). */
function budgetsOfPool(pool: readonly string[], coordinator: SlotCoordinator): Readonly<Record<string, string>> {
  let keys = poolKeys.get(pool);
  if (keys === undefined) poolKeys.set(pool, (keys = pool.map(normalizeServerKey)));
  const budgetOf: Record<string, string> = {};
  // Keyed by the entry without user:password@: stats never carry credentials.
  pool.forEach((server, i) => setOwn(budgetOf, withoutCredentials(server), coordinator.budgetOf(keys[i]!)));
  return Object.freeze(budgetOf);
}

// Names such as `__proto__` must become ordinary keys, not change the object's prototype.
function setOwn<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
