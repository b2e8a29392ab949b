import { Redis } from 'ioredis';
import { budgetKeys } from '../../src/redis/keys.js';

/**
 * Watches one budget through Redis MONITOR, outside the library: every start the acquire script
 * grants on a rated budget (it writes the Redis TIME of the grant as the latest start) and every
 * acquire call made for the budget by any process.
 */
export interface StartWatch {
  /** Redis TIME (ms) of each granted start, in order. */
  readonly grants: number[];
  /** Acquire script calls (granted or refused) for the budget. */
  acquires: number;
  stop(): Promise<void>;
}

export async function watchStarts(redisUrl: string, prefix: string, budget: string): Promise<StartWatch> {
  const keys = budgetKeys(prefix, budget);
  const client = new Redis(redisUrl);
  const monitor = await client.monitor();
  const watch: StartWatch = {
    grants: [],
    acquires: 0,
    stop: async () => {
      monitor.disconnect();
      client.disconnect();
    },
  };
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = (args[0] ?? '').toLowerCase();
    if (source === 'lua' && command === 'set' && args[1] === keys.lastStart) watch.grants.push(Number(args[2]));
    else if (source !== 'lua' && (command === 'evalsha' || command === 'eval') && args.includes(keys.starts)) watch.acquires++;
  });
  return watch;
}

/** The most grants in any window of `intervalMs` ((t - intervalMs, t], as the script counts). */
export function mostInAnyWindow(grants: readonly number[], intervalMs: number): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let most = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while ((sorted[from] as number) <= (sorted[to] as number) - intervalMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

/** The smallest gap between two consecutive grants. */
export function smallestGap(grants: readonly number[]): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < sorted.length; i++) gap = Math.min(gap, (sorted[i] as number) - (sorted[i - 1] as number));
  return gap;
}
