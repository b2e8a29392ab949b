import type { Meter } from '@opentelemetry/api';
import type { ObservedManager } from '../types.js';
import { serverEventRecorder } from './serverEventCounters.js';
import { observeClusterStats } from './clusterGauges.js';
import { observeStats } from './statsGauges.js';
import { timingRecorder } from './timings.js';

export interface InstrumentOptions {
  /** The first part of every instrument name. @default 'smt_rx' */
  readonly prefix?: string;
}

/** What `instrument` returns: `stop()` unregisters the instruments' callbacks and stops reading events. */
export interface Instrumentation {
  stop(): void;
}

/**
 * Reports a task manager's stats and timings as OpenTelemetry metrics on `meter`:
 *
 * - gauges `smt_rx.provider.queued` / `.waiting` / `.running` (attribute `provider`) and
 *   `smt_rx.budget.in_use` / `.limit` / `.waiters` (attribute `budget`, the budget key), read from
 *   `manager.stats()` at each collection (an unlimited budget reports no `limit`); with
 *   `adaptiveLimits` and `health` on, `smt_rx.budget.adaptive_limit` (adaptive budgets) and
 *   `smt_rx.budget.ejected` (1 while ejected, 0 otherwise; budgets that have failed once);
 * - counters from `serverEvents$`: `smt_rx.budget.limit_changes` (attributes `budget`,
 *   `direction` up/down, `reason` probe/latency/errors: why the limit moved),
 *   `smt_rx.budget.ejections` (`budget`, `reason` failures/probe-failed) and `smt_rx.budget.restores`;
 * - when the manager has a cluster view (`clusterStats$`, e.g. with smt-rx/redis): gauges
 *   `smt_rx.budget.cluster.in_use` and `.cluster.waiters` (attribute `budget`), the last reading
 *   (instrumenting keeps it subscribed, so Redis is read every `clusterStatsMs` until `stop()`);
 * - counters `smt_rx.task.outcomes` (attributes `provider`, `outcome`) and `smt_rx.task.retries`
 *   (`provider`), the stats' totals since the manager started;
 * - histograms `smt_rx.task.queue_wait` (`provider`) and `smt_rx.attempt.duration` (`provider`,
 *   `outcome`), in seconds of the manager's scheduler, from `events$`.
 *
 * No task id, payload or server URL beyond the budget key (which never holds credentials) becomes
 * an attribute, so the number of series stays that of providers and budgets.
 *
 * @example
 * import { metrics } from '@opentelemetry/api';
 * import { createTaskManager, defineProvider } from 'smt-rx';
 * import { instrument } from 'smt-rx/otel';
 *
 * const manager = createTaskManager({ providers: [defineProvider({ name: 'echo', servers: ['local'], handle: (task) => task.payload })] });
 * const instrumentation = instrument(manager, metrics.getMeter('smt-rx'));
 * // … at the end:
 * instrumentation.stop();
 * @since 0.2.0
 */
export function instrument(manager: ObservedManager, meter: Meter, options: InstrumentOptions = {}): Instrumentation {
  const prefix = options.prefix ?? 'smt_rx';
  const unobserve = observeStats(manager, meter, prefix);
  const unobserveCluster = observeClusterStats(manager, meter, prefix);
  const subscription = manager.events$.subscribe(timingRecorder(meter, prefix));
  if (manager.serverEvents$ !== undefined) subscription.add(manager.serverEvents$.subscribe(serverEventRecorder(meter, prefix)));
  return {
    stop() {
      subscription.unsubscribe();
      unobserve();
      unobserveCluster();
    },
  };
}
