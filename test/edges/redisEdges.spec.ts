import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createTaskManager } from '../../src/index.js';
import { redisSlotCoordinator } from '../../src/redis/index.js';
import { redisTestsEnabled } from '../redis/redisServer.js';
import { useRedis } from '../redis/testBed.js';
import { Emitted } from './emitted.js';

// README, "Server key": `user:password@` never reaches Redis (keys, limits, values) nor the logs.

const SECRET = 's3cret';

describe.runIf(redisTestsEnabled())('the Redis coordinator at the edges', () => {
  const redis = useRedis();

  it('should write no password into any Redis key or value, nor into the logs', async () => {
    const out = new Emitted();
    const servers = [`https://bot:${SECRET}@h.example.com/api`, `http://bot:${SECRET}@exa mple.com/x`];
    const coordinator = await redisSlotCoordinator({
      redis: redis.url, instanceName: 'a', logger: out.logger, limits: { [`https://bot:${SECRET}@h.example.com`]: 2 },
    });
    coordinator.setLimit(`http://bot:${SECRET}@exa mple.com/x`, 3);
    const m = createTaskManager({ coordinator, logger: out.logger, providers: [{ name: 'p', servers, handle: async () => 'ok' }] });
    m.events$.subscribe((e) => out.add('event', e));
    const outcomes = await Promise.all([1, 2, 3, 4].map((n) => m.run({ provider: 'p', payload: n })));
    out.add('outcomes', outcomes);
    out.add('stats', m.stats());
    out.add('report', await m.shutdown());
    out.add('cluster budget', await coordinator.clusterBudget(servers[0] as string));
    await coordinator.close();

    const raw = new Redis(redis.url);
    const keys = await raw.keys('*');
    for (const key of keys) {
      const type = await raw.type(key);
      if (type === 'string') out.add(key, await raw.get(key));
      else if (type === 'hash') out.add(key, await raw.hgetall(key));
      else if (type === 'zset') out.add(key, await raw.zrange(key, 0, -1));
      else out.add(key, type);
    }
    raw.disconnect();

    expect(outcomes.every((o) => o._tag === 'Succeeded')).toBe(true);
    expect(keys.some((k) => k.includes('h.example.com'))).toBe(true);
    expect(out.text().includes('exa mple.com')).toBe(true);
    expect(out.text().includes(SECRET)).toBe(false);
  });

  it('should cover every port of a host with a host limit, and read keys as written', async () => {
    const coordinator = await redisSlotCoordinator({
      redis: redis.url, instanceName: 'b', keyPrefix: 'ports', limits: { 'https://gpu.example.com': 3, 'https://gpu.example.com:9443': 1 },
    });
    try {
      expect(coordinator.budgetOf('https://gpu.example.com:8443/v1')).toBe('https://gpu.example.com/');
      expect(coordinator.budgetOf('https://gpu.example.com:9443/v1')).toBe('https://gpu.example.com:9443/');
      expect(coordinator.budget('https://gpu.example.com')).toEqual({ limit: 3, inUse: 0 });
      expect(await coordinator.clusterBudget('https://gpu.example.com')).toEqual({ limit: 3, inUse: 0, waiters: 0 });
      expect(await coordinator.clusterBudget('HTTPS://gpu.example.com:9443')).toEqual({ limit: 1, inUse: 0, waiters: 0 });
    } finally {
      await coordinator.close();
    }
  });
});
