import type { BatchObservableCallback, Meter, Observable as OtelObservable } from '@opentelemetry/api';
import type { BudgetStats, ObservedManager, ProviderStats } from '../types.js';

/** The per-provider gauges: stats field → instrument name suffix and description. */
const providerGauges = {
  queued: 'Tasks in the priority queue, waiting for a server slot',
  waiting: 'Tasks between attempts (in a retry backoff) or acquiring a remote slot',
  running: 'Attempts running',
} as const satisfies Partial<Record<keyof ProviderStats, string>>;

const budgetGauges = {
  in_use: 'Slots of the budget in use',
  limit: 'Slots the budget allows now: its adaptive limit, 0 while ejected (not reported while it is unlimited)',
  waiters: 'Queued tasks of the providers that can use the budget',
  adaptive_limit: 'The adaptive limit of a budget in adaptiveLimits (reported for those budgets only)',
  ejected: '1 while the budget is ejected by the health checks, else 0 (reported once it has failed)',
} as const;

/** The value of each budget gauge; undefined: not reported for this budget. */
function budgetValues(stats: BudgetStats): Record<keyof typeof budgetGauges, number | undefined> {
  return {
    in_use: stats.inUse,
    limit: stats.limit,
    waiters: stats.waiters,
    adaptive_limit: stats.adaptive?.limit,
    ejected: stats.health === undefined ? undefined : stats.health.state === 'ejected' ? 1 : 0,
  };
}

const slotUnits: Partial<Record<keyof typeof budgetGauges, string>> = { waiters: '{task}', ejected: '1' };

const outcomes = ['succeeded', 'failed', 'cancelled'] as const;

/**
 * Registers the instruments read from `manager.stats()` at each collection: gauges per provider and
 * per budget, and the cumulative counters of outcomes and retries. Returns the unregister function.
 */
export function observeStats(manager: ObservedManager, meter: Meter, prefix: string): () => void {
  const gauge = (name: string, description: string): OtelObservable =>
    meter.createObservableGauge(`${prefix}.${name}`, { description, unit: '{task}' });
  const perProvider = Object.entries(providerGauges).map(([field, description]) => ({
    field: field as keyof typeof providerGauges,
    gauge: gauge(`provider.${field}`, description),
  }));
  const perBudget = Object.entries(budgetGauges).map(([name, description]) => ({
    name: name as keyof typeof budgetGauges,
    gauge: meter.createObservableGauge(`${prefix}.budget.${name}`, { description, unit: slotUnits[name as keyof typeof budgetGauges] ?? '{slot}' }),
  }));
  const outcomeCounter = meter.createObservableCounter(`${prefix}.task.outcomes`, {
    description: 'Tasks ended, by outcome (succeeded, failed, cancelled); commands included',
    unit: '{task}',
  });
  const retryCounter = meter.createObservableCounter(`${prefix}.task.retries`, { description: 'Retries scheduled', unit: '{retry}' });

  const collect: BatchObservableCallback = (result) => {
    const { providers, servers } = manager.stats();
    for (const [provider, stats] of Object.entries(providers)) {
      for (const { field, gauge: instrument } of perProvider) result.observe(instrument, stats[field], { provider });
      for (const outcome of outcomes) result.observe(outcomeCounter, stats[outcome], { provider, outcome });
      result.observe(retryCounter, stats.retries, { provider });
    }
    for (const [budget, stats] of Object.entries(servers)) {
      const values = budgetValues(stats);
      for (const { name, gauge: instrument } of perBudget) {
        const value = values[name];
        // An unlimited budget has no number to report (Infinity is not a valid gauge value).
        if (value !== undefined && Number.isFinite(value)) result.observe(instrument, value, { budget });
      }
    }
  };
  const observables = [...perProvider.map((p) => p.gauge), ...perBudget.map((b) => b.gauge), outcomeCounter, retryCounter];
  meter.addBatchObservableCallback(collect, observables);
  return () => meter.removeBatchObservableCallback(collect, observables);
}
