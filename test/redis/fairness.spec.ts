import { describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, type TaskManager } from '../../src/index.js';
import { redisSlotCoordinator, type RedisSlotCoordinator } from '../../src/redis/index.js';
import { eventually, sleep } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedis } from './testBed.js';

/** Two instances (each its own coordinator, connections and manager) on one limit-1 server. */
describe.runIf(redisTestsEnabled())('redisSlotCoordinator fairness', () => {
  const redis = useRedis();

  it("should start a small instance's first task after at most 2 of a busy instance's, then alternate", async () => {
    const starts: Array<'big' | 'small'> = [];
    const instance = async (name: 'big' | 'small'): Promise<{ coordinator: RedisSlotCoordinator; manager: TaskManager }> => {
      const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: name, keyPrefix: 'fair', leaseMs: 1_500 });
      const provider = defineProvider({
        name: 'gpu',
        servers: ['https://gpu.example.com'],
        handle: async () => {
          starts.push(name);
          await sleep(10);
        },
      });
      return { coordinator, manager: createTaskManager({ providers: [provider], coordinator }) };
    };
    const big = await instance('big');
    const small = await instance('small');
    try {
      const bigRuns = Array.from({ length: 120 }, () => big.manager.run({ provider: 'gpu', payload: null }));
      await eventually(() => starts.length >= 3, 5_000, 'big under way');
      const mark = starts.length;
      const smallRuns = Array.from({ length: 4 }, () => small.manager.run({ provider: 'gpu', payload: null }));
      const smallOutcomes = await Promise.all(smallRuns);
      expect(smallOutcomes.every((o) => o._tag === 'Succeeded')).toBe(true);

      const after = starts.slice(mark);
      const bigBeforeSmall = after.indexOf('small');
      expect(bigBeforeSmall).toBeLessThanOrEqual(2);
      // From then on the two take turns: never more than 2 big starts between small ones.
      const smallAt = after.flatMap((who, i) => (who === 'small' ? [i] : []));
      for (let i = 1; i < smallAt.length; i++) expect(smallAt[i]! - smallAt[i - 1]! - 1).toBeLessThanOrEqual(2);
      // And the big one was not starved either.
      expect(after.slice(0, smallAt[3]! + 1).filter((who) => who === 'big').length).toBeGreaterThanOrEqual(3);

      await big.manager.shutdown({ mode: 'cancel', graceMs: 1_000 });
      expect((await Promise.all(bigRuns)).filter((o) => o._tag === 'Succeeded').length).toBeLessThan(120);
    } finally {
      await big.manager.shutdown({ mode: 'cancel', graceMs: 0 });
      await small.manager.shutdown({ mode: 'cancel', graceMs: 0 });
      await big.coordinator.close();
      await small.coordinator.close();
    }
  }, 30_000);
});
