/**
 * Task weights across processes (README "Task weight"; `npm run demo:weights`): two task managers,
 * each with its own Redis coordinator, share one GPU server whose budget is 4 slots. Big jobs take
 * 3 slots, small ones 1; Redis counts the weights of every instance's running tasks, and a big job
 * queued in one instance is not starved by the small ones of the other (the budget is held for it).
 * They stand for two processes (the test suite runs the same with separate processes).
 *
 * Redis: `REDIS_URL` if set, else a throw-away `redis-server` on a free port.
 * In your own code, import from 'smt-rx' and 'smt-rx/redis' instead of '../src/...'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createTaskManager, defineProvider } from '../src/index.js';
import { redisSlotCoordinator } from '../src/redis/index.js';
import { startRedis } from './lib/localRedis.js';

const GPU = 'https://gpu.example.com/';
const LIMIT = 4;

export interface WeightsReport {
  /** The most weight running at once, over both instances (never above LIMIT). */
  readonly mostWeight: number;
  /** The outcome tags of every task. */
  readonly outcomes: readonly string[];
  /** How many small jobs (of instance a's steady stream) started before b's big jobs all started. */
  readonly smallBeforeLastBig: number;
}

export async function runClusterWeights(redisUrl: string): Promise<WeightsReport> {
  let running = 0;
  let mostWeight = 0;
  let bigLeft = 4;
  let smallBeforeLastBig = 0;
  const instance = async (name: string) => {
    const coordinator = await redisSlotCoordinator({ redis: redisUrl, instanceName: name, keyPrefix: 'weights-demo', limits: { [GPU]: LIMIT } });
    const gpu = defineProvider({
      name: 'gpu',
      servers: [`${GPU}v1`],
      handle: async (task: { payload: { weight: number } }) => {
        const { weight } = task.payload;
        running += weight; // both instances live in this process, so one counter sees them all
        mostWeight = Math.max(mostWeight, running);
        if (weight === 3) bigLeft--;
        else if (bigLeft > 0) smallBeforeLastBig++;
        await sleep(weight === 3 ? 60 : 20);
        running -= weight;
        return `${name}:${weight}`;
      },
    });
    return { coordinator, manager: createTaskManager({ providers: [gpu], coordinator }) };
  };
  const a = await instance('a');
  const b = await instance('b');
  const job = (manager: typeof a.manager, weight: number) => manager.run({ provider: 'gpu', payload: { weight }, weight });
  try {
    // a: a steady stream of small jobs that alone would always keep a slot busy; b: four big ones.
    const small = Array.from({ length: 40 }, () => job(a.manager, 1));
    await sleep(30);
    const big = Array.from({ length: 4 }, () => job(b.manager, 3));
    const outcomes = (await Promise.all([...small, ...big])).map((outcome) => outcome._tag);
    return { mostWeight, outcomes, smallBeforeLastBig };
  } finally {
    for (const { manager, coordinator } of [a, b]) {
      await manager.shutdown();
      await coordinator.close(); // the manager does not close a coordinator it was given
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const local = process.env['REDIS_URL'] === undefined ? await startRedis() : undefined;
  const report = await runClusterWeights(process.env['REDIS_URL'] ?? (local?.url as string));
  console.log(`most weight running at once over both instances: ${report.mostWeight} (budget ${LIMIT})`);
  console.log(`small jobs started before b's 4 big jobs had all started: ${report.smallBeforeLastBig} of 40`);
  console.log(`outcomes: ${report.outcomes.filter((tag) => tag === 'Succeeded').length}/${report.outcomes.length} Succeeded`);
  local?.stop();
}
