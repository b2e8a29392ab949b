import type { ObservedValueOf } from 'rxjs';
import type { Meter } from '@opentelemetry/api';
import type { ObservedManager } from '../types.js';

/** The cluster-wide view a manager may offer (see `ObservedManager.clusterStats$`). */
type ClusterStats = ObservedValueOf<NonNullable<ObservedManager['clusterStats$']>>;

/**
 * Gauges of the cluster-wide view, when the manager has one: `<prefix>.budget.cluster.in_use` and
 * `.cluster.waiters` (attribute `budget`). A collection reports the last reading and never waits
 * for one, so it stays subscribed to `clusterStats$` (with smt-rx/redis, one read per budget every
 * `clusterStatsMs`) until the returned function is called. Without a cluster view: nothing.
 */
export function observeClusterStats(manager: ObservedManager, meter: Meter, prefix: string): () => void {
  if (manager.clusterStats$ === undefined) return () => undefined;
  let last: ClusterStats | undefined = undefined;
  const subscription = manager.clusterStats$.subscribe((stats) => (last = stats));
  const inUse = meter.createObservableGauge(`${prefix}.budget.cluster.in_use`, { description: 'Slots of the budget in use in every process', unit: '{slot}' });
  const waiters = meter.createObservableGauge(`${prefix}.budget.cluster.waiters`, { description: 'Processes waiting for a slot of the budget', unit: '{process}' });
  const collect = (result: { observe(instrument: typeof inUse, value: number, attributes: { budget: string }): void }): void => {
    for (const [budget, state] of Object.entries(last ?? {})) {
      result.observe(inUse, state.inUse, { budget });
      result.observe(waiters, state.waiters, { budget });
    }
  };
  meter.addBatchObservableCallback(collect, [inUse, waiters]);
  return () => {
    subscription.unsubscribe();
    meter.removeBatchObservableCallback(collect, [inUse, waiters]);
  };
}
