/**
 * Cluster-wide start rates (README "Start rates across processes"; `npm run demo:rates`): two task
 * managers, each with its own Redis coordinator, share one API quota. They stand for two
 * processes (the test suite runs the same with separate processes); the rate counts every start
 * of every instance, in Redis.
 *
 * Redis: `REDIS_URL` if set, else a throw-away `redis-server` on a free port.
 * In your own code, import from 'smt-rx' and 'smt-rx/redis' instead of '../src/...'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createTaskManager, defineProvider, type RateLimit } from '../src/index.js';
import { redisSlotCoordinator } from '../src/redis/index.js';
import { startRedis } from './lib/localRedis.js';

const API = 'https://api.example.com/';
const QUOTA: RateLimit = { starts: 4, intervalMs: 500, minTimeMs: 20 }; // 4 per 500 ms, 20 ms apart
const FASTER: RateLimit = { starts: 20, intervalMs: 500 };

export interface RatesReport {
  /** Phase 1 (12 tasks, 6 per instance, at 4 per 500 ms): from the submissions to the last outcome. */
  readonly phase1Ms: number;
  /** Phase 2 (12 more, after instance a raised the rate live). */
  readonly phase2Ms: number;
  readonly outcomes: readonly string[];
  /** The rates instance b sees after a's change. */
  readonly ratesOnB: ReadonlyMap<string, RateLimit>;
}

export async function runClusterRates(redisUrl: string): Promise<RatesReport> {
  const instance = async (name: string) => {
    const coordinator = await redisSlotCoordinator({
      redis: redisUrl,
      instanceName: name,
      keyPrefix: 'rates-demo',
      limits: { [API]: 10 }, // at most 10 at once, cluster-wide
      rates: { [API]: QUOTA }, // and at most 4 starts per 500 ms, cluster-wide
    });
    const api = defineProvider({ name: 'api', servers: [`${API}v1`], handle: () => sleep(10).then(() => name) });
    return { coordinator, manager: createTaskManager({ providers: [api], coordinator }) };
  };
  const a = await instance('a');
  const b = await instance('b');
  const runAll = async (): Promise<{ ms: number; tags: string[] }> => {
    const begin = Date.now();
    const runs = [a, b].flatMap(({ manager }) => Array.from({ length: 6 }, () => manager.run({ provider: 'api', payload: null })));
    const tags = (await Promise.all(runs)).map((outcome) => outcome._tag);
    return { ms: Date.now() - begin, tags };
  };
  try {
    const phase1 = await runAll();
    a.manager.setRateLimit(API, FASTER); // stored in Redis and announced: b uses it too
    await sleep(100);
    const phase2 = await runAll();
    return { phase1Ms: phase1.ms, phase2Ms: phase2.ms, outcomes: [...phase1.tags, ...phase2.tags], ratesOnB: b.coordinator.rates() };
  } finally {
    for (const { manager, coordinator } of [a, b]) {
      await manager.shutdown();
      await coordinator.close(); // the manager does not close a coordinator it was given
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const local = process.env['REDIS_URL'] === undefined ? await startRedis() : undefined;
  const report = await runClusterRates(process.env['REDIS_URL'] ?? (local?.url as string));
  console.log(`12 starts at 4 per 500 ms over two instances: ${report.phase1Ms} ms (the quota allows no less than 1,000)`);
  console.log(`12 starts after a raised it to 20 per 500 ms: ${report.phase2Ms} ms`);
  console.log(`outcomes: ${report.outcomes.filter((tag) => tag === 'Succeeded').length}/24 Succeeded; b sees`, report.ratesOnB);
  local?.stop();
}
