import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { createTaskManager, defineProvider } from '../../src/index.js';
import { redisSlotCoordinator } from '../../src/redis/index.js';
import { budgetKeys } from '../../src/redis/keys.js';
import { eventually, grab } from './grab.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from './redisServer.js';

const API = 'https://api.example.com/';

describe.runIf(redisTestsEnabled())('redisSlotCoordinator start rates: settings and data loss', () => {
  let redis: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('should refuse a bad rate with a typed error naming the field, at creation and in setRate', async () => {
    const create = (): unknown => redisSlotCoordinator({ redis: redis.url, instanceName: 'bad', rates: { [API]: { starts: 0, intervalMs: 1_000 } } });
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(/rates\["https:\/\/api\.example\.com\/"\]\.starts/);

    const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: 'ok', keyPrefix: 'settings' });
    try {
      expect(() => coordinator.setRate(API, { starts: 3 })).toThrow(/rate\.intervalMs/);
      expect(() => coordinator.setRate('', { minTimeMs: 5 })).toThrow(/keyOrPrefix/);
      coordinator.setRate(API, { minTimeMs: 5 });
      expect(coordinator.rates()).toEqual(new Map([[API, { starts: Infinity, intervalMs: 0, minTimeMs: 5 }]]));
      await eventually(async () => (await admin.hget('settings:rates', API)) === 'inf 0 5', 5_000, 'the rate stored in Redis');
      coordinator.setRate(API, undefined);
      expect(coordinator.rates().size).toBe(0);
      await eventually(async () => (await admin.exists(budgetKeys('settings', API).rate)) === 0, 5_000, 'the rate removed from Redis');
    } finally {
      await coordinator.close();
    }
  });

  it("should take the manager's rateLimits and setRateLimit into the coordinator, typed refusals included", async () => {
    const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: 'manager', keyPrefix: 'handover' });
    const api = defineProvider({ name: 'api', servers: [API], handle: () => 'ok' });
    const manager = createTaskManager({ providers: [api], coordinator, rateLimits: { [API]: { starts: 2, intervalMs: 1_000 } } });
    try {
      // Handed over, not wrapped: the coordinator counts the rate for every process.
      expect(coordinator.rates()).toEqual(new Map([[API, { starts: 2, intervalMs: 1_000, minTimeMs: 0 }]]));
      expect(manager.setRateLimit(API, { starts: 2 })).toEqual({ _tag: 'Left', left: expect.objectContaining({ _tag: 'InvalidConfig', field: 'rate.intervalMs' }) });
      expect(manager.setRateLimit(API, { minTimeMs: 50 })).toEqual({ _tag: 'Right', right: undefined });
      expect(coordinator.rates().get(API)).toEqual({ starts: Infinity, intervalMs: 0, minTimeMs: 50 });
      await eventually(async () => (await admin.get(budgetKeys('handover', API).rate)) === 'inf 0 50', 5_000, 'the new rate in Redis');
      // The manager does not close a coordinator it was given, rates or not.
      await manager.shutdown();
      await expect(coordinator.clusterBudget(API)).resolves.toMatchObject({ limit: 1 });
    } finally {
      await manager.shutdown();
      await coordinator.close();
    }
  });

  it('should write the rate back and start nothing for one interval after Redis lost its data (the lost log held recent starts)', async () => {
    const rate = { starts: 1, intervalMs: 2_000 };
    const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName: 'keeper', keyPrefix: 'loss', leaseMs: 300, limits: { [API]: 5 }, rates: { [API]: rate } });
    try {
      await grab(coordinator, API);
      coordinator.release(API);
      await admin.flushall();
      const lostAt = Date.now();
      // The renewals notice the loss and write the limits and the rate back.
      await eventually(async () => (await admin.get(budgetKeys('loss', API).rate)) === '1 2000 0', 5_000, 'the rate written back');
      const startedAt = await grab(coordinator, API, 10_000);
      // Without the rate's fence the empty log would let a start through once the lease fence (300 ms) ended.
      expect(startedAt - lostAt).toBeGreaterThanOrEqual(rate.intervalMs);
      coordinator.release(API);
    } finally {
      await coordinator.close();
    }
  }, 30_000);
});
