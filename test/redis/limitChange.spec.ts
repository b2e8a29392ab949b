import { describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, type TaskManager } from '../../src/index.js';
import { redisSlotCoordinator, type RedisSlotCoordinator } from '../../src/redis/index.js';
import { eventually, sleep } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedis } from './testBed.js';

const SERVER = 'https://render.example.com/v1';

describe.runIf(redisTestsEnabled())('redisSlotCoordinator limit changes', () => {
  const redis = useRedis();

  it('should let every instance use a limit raised on one of them at once, and show it in stats', async () => {
    // Tasks run until the test lets them finish, so "at once" means: before any task finished.
    let running = 0;
    let finished = 0;
    const gates: Array<() => void> = [];
    let open = false;
    const startsAt: number[] = []; // tasks running at each start, itself included
    const instance = async (name: string): Promise<{ coordinator: RedisSlotCoordinator; manager: TaskManager }> => {
      const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: name, keyPrefix: 'limits', leaseMs: 1_500, limits: { [SERVER]: 1 } });
      const provider = defineProvider({
        name: 'render',
        servers: [SERVER],
        handle: async () => {
          startsAt.push(++running);
          if (!open) await new Promise<void>((resolve) => gates.push(resolve));
          else await sleep(20);
          running--;
          finished++;
        },
      });
      return { coordinator, manager: createTaskManager({ providers: [provider], coordinator }) };
    };
    const a = await instance('a');
    const b = await instance('b');
    try {
      // Only b has work; a is the operator's console.
      const runs = Array.from({ length: 12 }, () => b.manager.run({ provider: 'render', payload: null }));
      await eventually(() => running === 1, 5_000, 'b running');
      await sleep(200);
      expect(startsAt).toEqual([1]);
      expect(b.manager.stats().servers[SERVER]).toMatchObject({ limit: 1 });

      a.manager.setServerLimit(SERVER, 3);
      expect(a.manager.stats().servers).toEqual({ [SERVER]: { limit: 3, inUse: 0, waiters: 0 } });
      await eventually(() => b.manager.stats().servers[SERVER]?.limit === 3, 5_000, "b's stats show the new limit");
      await eventually(() => running === 3, 5_000, 'b runs 3 at once');
      expect(finished).toBe(0); // no task had to finish first
      expect(Math.max(...startsAt)).toBe(3);

      // Lowered: running work finishes, nothing new starts above the new limit.
      a.manager.setServerLimit(SERVER, 1);
      await eventually(() => b.coordinator.limits().get(SERVER) === 1, 5_000, 'b sees the lower limit');
      const mark = startsAt.length;
      open = true;
      for (const letGo of gates.splice(0)) letGo();
      const outcomes = await Promise.all(runs);
      expect(outcomes.every((o) => o._tag === 'Succeeded')).toBe(true);
      expect(startsAt.slice(mark)).toEqual(Array(12 - mark).fill(1));
    } finally {
      open = true;
      for (const letGo of gates.splice(0)) letGo();
      await a.manager.shutdown({ mode: 'cancel', graceMs: 0 });
      await b.manager.shutdown({ mode: 'cancel', graceMs: 0 });
      await a.coordinator.close();
      await b.coordinator.close();
    }
  }, 30_000);
});
