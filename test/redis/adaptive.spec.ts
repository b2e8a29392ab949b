import { describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, type ServerEvent, type TaskManager } from '../../src/index.js';
import { redisSlotCoordinator, type RedisSlotCoordinator } from '../../src/redis/index.js';
import { sleep } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedis } from './testBed.js';

const SERVER = 'https://gpu.example.com/v1';
const CAP = 6;

// In Redis mode the limit stored in Redis is the cluster-wide hard cap, and each process adapts its
// own limit below it from its own attempts: what a process admits is bounded by both.
describe.runIf(redisTestsEnabled())('adaptive limits over redisSlotCoordinator', () => {
  const redis = useRedis();

  it('should let each process adapt its own limit while the cluster never runs above the cap in Redis', async () => {
    let total = 0;
    let maxTotal = 0;
    const instance = async (name: string) => {
      const coordinator: RedisSlotCoordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: name, keyPrefix: 'adaptive', leaseMs: 1_500, limits: { [SERVER]: CAP } });
      const own = { running: 0, max: 0 };
      const provider = defineProvider({
        name: 'gen',
        servers: [SERVER],
        handle: async () => {
          own.max = Math.max(own.max, ++own.running);
          maxTotal = Math.max(maxTotal, ++total);
          await sleep(20);
          own.running--;
          total--;
        },
      });
      const manager: TaskManager = createTaskManager({
        providers: [provider],
        coordinator,
        adaptiveLimits: { [SERVER]: { min: 1, max: 32, initial: 1, algorithm: 'aimd' } },
      });
      const moves: ServerEvent[] = [];
      manager.serverEvents$.subscribe((e) => moves.push(e));
      return { coordinator, manager, own, moves };
    };
    const a = await instance('a');
    const b = await instance('b');
    try {
      await Promise.all([a, b].flatMap(({ manager }) => Array.from({ length: 60 }, () => manager.run({ provider: 'gen', payload: null }))));
      expect(maxTotal).toBeLessThanOrEqual(CAP);
      for (const { manager, own, moves } of [a, b]) {
        // Each grew its own limit from 1 on its own results, and ran more than one at once.
        expect(moves.some((e) => e.type === 'limit-changed' && e.from === 1 && e.to === 2 && e.cap === CAP)).toBe(true);
        expect(own.max).toBeGreaterThan(1);
        const stats = manager.stats().servers[new URL(SERVER).href];
        expect(stats?.adaptive).toMatchObject({ min: 1, max: 32, algorithm: 'aimd' });
        expect(stats?.limit).toBeLessThanOrEqual(CAP);
      }
    } finally {
      await Promise.all([a.manager.shutdown(), b.manager.shutdown()]);
      await Promise.all([a.coordinator.close(), b.coordinator.close()]);
    }
  });
});
