import type { ObservedValueOf } from 'rxjs';
import type { BudgetStats, ObservedManager, ProviderStats, StatsSnapshot, TaskEvent } from '../types.js';

/** The cluster-wide view a manager may offer (see `ObservedManager.clusterStats$`). */
export type ClusterStats = ObservedValueOf<NonNullable<ObservedManager['clusterStats$']>>;

/** One provider's row: its stats and its completion rates over the rate window. */
export interface ProviderRow extends ProviderStats {
  readonly name: string;
  /** Tasks that succeeded per second, over the rate window. */
  readonly succeededPerSec: number;
  /** Tasks that failed per second, over the rate window. */
  readonly failedPerSec: number;
}

/**
 * One budget's row; `limit` (the limit in force: the adaptive limit, 0 while ejected) is null when
 * unlimited (JSON has no Infinity). `adaptive` and `health` as in the stats, when those are on.
 */
export interface BudgetRow extends Omit<BudgetStats, 'limit'> {
  readonly key: string;
  readonly limit: number | null;
  /**
   * Across every process sharing the coordinator, when the manager has a cluster view
   * (`clusterStats$`, e.g. smt-rx/redis) and it has been read: slots in use and processes waiting.
   */
  readonly cluster?: { readonly inUse: number; readonly waiters: number };
}

/** A task that failed: when (scheduler time), where, after how many attempts, and its error as text. */
export interface FailureRow {
  readonly id: string;
  readonly provider: string;
  readonly at: number;
  readonly attempts: number;
  readonly error: string;
}

/** What the page shows, sent as one JSON object per update. */
export interface DashboardState {
  /** The scheduler's time of this state (failures' `at` are on the same clock). */
  readonly now: number;
  readonly providers: readonly ProviderRow[];
  /** The busiest first: most waiters, then the largest share of the limit in use. */
  readonly budgets: readonly BudgetRow[];
  /** The latest first. */
  readonly failures: readonly FailureRow[];
}

/** A stats snapshot with the time it was read, kept for the rates. */
export interface StatsSample {
  readonly at: number;
  readonly stats: StatsSnapshot;
}

const share = (row: BudgetStats): number => (row.limit > 0 && Number.isFinite(row.limit) ? row.inUse / row.limit : 0);

/** Most waiters first, then the largest share of the limit in use, then by key; with the cluster view beside each budget it covers. */
export function busiestFirst(servers: StatsSnapshot['servers'], cluster?: ClusterStats): BudgetRow[] {
  return Object.entries(servers)
    .sort(([keyA, a], [keyB, b]) => b.waiters - a.waiters || share(b) - share(a) || keyA.localeCompare(keyB))
    .map(([key, row]) => {
      const all = cluster !== undefined && Object.hasOwn(cluster, key) ? cluster[key] : undefined;
      return {
        key,
        limit: Number.isFinite(row.limit) ? row.limit : null,
        inUse: row.inUse,
        waiters: row.waiters,
        // With a coordinator shared between processes: the budget's use in all of them.
        ...(all === undefined ? {} : { cluster: { inUse: all.inUse, waiters: all.waiters } }),
        // With adaptiveLimits / health on: the adaptive limit and why it last moved; ejected or not.
        ...(row.adaptive === undefined ? {} : { adaptive: row.adaptive }),
        ...(row.health === undefined ? {} : { health: row.health }),
      };
    });
}

/** Per provider: its counters now, and how fast they grew since the oldest sample of the window. */
export function providerRows(latest: StatsSample, oldest: StatsSample): ProviderRow[] {
  const seconds = (latest.at - oldest.at) / 1000;
  const perSec = (now: number, before: number | undefined): number => (seconds > 0 ? (now - (before ?? 0)) / seconds : 0);
  return Object.entries(latest.stats.providers).map(([name, stats]) => {
    const before = oldest.stats.providers[name];
    return {
      name,
      ...stats,
      succeededPerSec: perSec(stats.succeeded, before?.succeeded),
      failedPerSec: perSec(stats.failed, before?.failed),
    };
  });
}

/** A failed event as a row: the error as `Name: message` (its stack and fields stay on the server). */
export function failureRow(event: Extract<TaskEvent, { type: 'failed' }>): FailureRow {
  return { id: event.id, provider: event.provider, at: event.at, attempts: event.attempts, error: errorText(event.error) };
}

const MAX_ERROR_LENGTH = 500;

function errorText(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else if (typeof error === 'string') text = error;
  else text = safeJson(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
