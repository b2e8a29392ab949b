/**
 * Redis key names. Every key of one budget carries the hash tag `{<prefix>:<budgetKey>}`, so the
 * scripts that touch them run on one node of a Redis Cluster. The keys that list things for the
 * whole cluster (limits, instance names) are read with plain commands, never inside a script.
 */
export interface BudgetKeys {
  /** Sorted set: lease id -> expiry (ms, Redis TIME). In use = the weights of its live members. */
  readonly leases: string;
  /** Sorted set: instance name -> when it started waiting (ms, Redis TIME; 1 after the last waiter if not later). */
  readonly waiters: string;
  /** Sorted set: instance name -> when its place in the queue lapses unless it asks again. */
  readonly waiterTtl: string;
  /** Hash: instance name -> the weight it waits for (1 when absent); see weightScript.ts. */
  readonly waiterWeights: string;
  /** String: the budget's limit ('inf' for Infinity); absent means the default limit. */
  readonly limit: string;
  /** String: the time before which no slot is granted (0 once settled); see the acquire script. */
  readonly epoch: string;
  /** String: the budget's start rate (see rateScript.ts); absent means none. */
  readonly rate: string;
  /** Sorted set: lease id -> start time (ms, Redis TIME), the starts of the last interval. */
  readonly starts: string;
  /** String: the time of the latest start (ms, Redis TIME), for `minTimeMs`. */
  readonly lastStart: string;
}

export function budgetKeys(prefix: string, budget: string): BudgetKeys {
  const tag = `{${prefix}:${budget}}`;
  return {
    leases: `${tag}:leases`,
    waiters: `${tag}:waiters`,
    waiterTtl: `${tag}:waiter-ttl`,
    waiterWeights: `${tag}:waiter-weights`,
    limit: `${tag}:limit`,
    epoch: `${tag}:epoch`,
    rate: `${tag}:rate`,
    starts: `${tag}:starts`,
    lastStart: `${tag}:last-start`,
  };
}

/** Hash: limit key -> limit text. The list every instance resolves budgets from. */
export const limitsKey = (prefix: string): string => `${prefix}:limits`;

/** Hash: rate key -> rate text. The list every instance reads the start rates from. */
export const ratesKey = (prefix: string): string => `${prefix}:rates`;

/** String holding the owner's token, with a TTL: one live process per instance name. */
export const instanceKey = (prefix: string, instanceName: string): string => `${prefix}:instance:${instanceName}`;

/** String with a random id, set once: when it changes, Redis lost its data. */
export const clusterKey = (prefix: string): string => `${prefix}:cluster`;

/** Pub/sub channel for wake-ups and limit changes. */
export const eventsChannel = (prefix: string): string => `${prefix}:events`;
