import { describe, expect, it } from 'vitest';
import { lastValueFrom } from 'rxjs';
import { createTaskManager, defineProvider } from '../../src/index.js';
import { redisSlotCoordinator } from '../../src/redis/index.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedis } from './testBed.js';

const SLOW = 'https://slow.example.com/';
const FREE = 'https://free.example.com/';

describe.runIf(redisTestsEnabled())('redisSlotCoordinator: a budget its start rate refuses is blocked here', () => {
  const redis = useRedis();

  it('should report the budget blocked until the moment Redis named, so tasks start on another server of the pool', async () => {
    // One start a minute on SLOW: once it is used, the rate refuses SLOW for the rest of the minute.
    const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: 'blocked', keyPrefix: 'rb', limits: { [SLOW]: 10, [FREE]: 10 }, rates: { [SLOW]: { starts: 1, intervalMs: 60_000 } } });
    const ran: string[] = [];
    const pool = defineProvider({ name: 'pool', servers: [SLOW, FREE], handle: async (_task, ctx) => {
      ran.push(ctx.server);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } });
    const manager = createTaskManager({ providers: [pool], coordinator });
    try {
      // Uses SLOW's one start: the rate refuses SLOW for the rest of the minute.
      const first = manager.submit({ provider: 'pool', payload: 0 });
      if (first._tag === 'Left') throw new Error('refused');
      await lastValueFrom(first.right.outcome$);
      expect(ran).toEqual([SLOW]);

      // One task after the other: each finds both servers idle, and the pool's rotation offers SLOW
      // to every other one. The first refusal by SLOW's rate marks it blocked, and no task waits a
      // minute for SLOW's window while FREE is idle.
      for (let i = 1; i <= 6; i++) {
        const handle = manager.submit({ provider: 'pool', payload: i });
        if (handle._tag === 'Left') throw new Error('refused');
        expect((await lastValueFrom(handle.right.outcome$))._tag).toBe('Succeeded');
      }
      expect(ran.slice(1)).toEqual(Array(6).fill(FREE));
      expect(coordinator.budget(SLOW)).toEqual({ limit: 10, inUse: 0, blocked: true });
      expect(coordinator.budget(FREE)).toEqual({ limit: 10, inUse: 0 });
    } finally {
      await manager.shutdown();
      await coordinator.close();
    }
  }, 30_000);
});
