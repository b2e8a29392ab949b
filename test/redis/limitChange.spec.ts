import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, type TaskManager } from '../../src/index.js';
import { redisSlotCoordinator, type RedisSlotCoordinator } from '../../src/redis/index.js';
import { eventually, sleep } from './grab.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from './redisServer.js';

const SERVER = 'https://render.example.com/v1';

describe.runIf(redisTestsEnabled())('redisSlotCoordinator limit changes', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('should let every instance use a limit raised on one of them at once, and show it in stats', async () => {
    let running = 0;
    let maxRunning = 0;
    const instance = async (name: string): Promise<{ coordinator: RedisSlotCoordinator; manager: TaskManager }> => {
      const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: name, keyPrefix: 'limits', leaseMs: 1_500, limits: { [SERVER]: 1 } });
      const provider = defineProvider({
        name: 'render',
        servers: [SERVER],
        handle: async () => {
          maxRunning = Math.max(maxRunning, ++running);
          await sleep(150);
          running--;
        },
      });
      return { coordinator, manager: createTaskManager({ providers: [provider], coordinator }) };
    };
    const a = await instance('a');
    const b = await instance('b');
    try {
      // Only b has work; a is the operator's console.
      const runs = Array.from({ length: 12 }, () => b.manager.run({ provider: 'render', payload: null }));
      await eventually(() => running === 1, 2_000, 'b running');
      await sleep(200);
      expect(maxRunning).toBe(1);
      expect(b.manager.stats().servers[SERVER]).toMatchObject({ limit: 1 });

      const raisedAt = Date.now();
      a.manager.setServerLimit(SERVER, 3);
      expect(a.manager.stats().servers).toEqual({ [SERVER]: { limit: 3, inUse: 0, waiters: 0 } });
      await eventually(() => b.manager.stats().servers[SERVER]?.limit === 3, 500, "b's stats show the new limit");
      await eventually(() => running === 3, 500, 'b runs 3 at once');
      expect(Date.now() - raisedAt).toBeLessThan(500); // at once: no task had to finish first
      expect(maxRunning).toBe(3);

      // Lowered: running work finishes, nothing new starts above the new limit.
      a.manager.setServerLimit(SERVER, 1);
      await eventually(() => b.coordinator.limits().get(SERVER) === 1, 500, 'b sees the lower limit');
      const before = maxRunning;
      await eventually(() => running <= 1, 2_000, 'back to 1');
      await sleep(400);
      expect(running).toBeLessThanOrEqual(1);
      expect(maxRunning).toBe(before);

      await b.manager.shutdown({ mode: 'cancel', graceMs: 1_000 });
      expect((await Promise.all(runs)).length).toBe(12);
    } finally {
      await a.manager.shutdown({ mode: 'cancel', graceMs: 0 });
      await b.manager.shutdown({ mode: 'cancel', graceMs: 0 });
      await a.coordinator.close();
      await b.coordinator.close();
    }
  }, 30_000);
});
