import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSlotCoordinator, type RedisSlotCoordinator } from '../../src/redis/index.js';
import { eventually, grab, sleep } from './grab.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from './redisServer.js';

// A process whose pools churn for weeks: the coordinator keeps nothing per server that left every
// pool (limit memos, key memos, the acquirer's state), also when one was forgotten while holding a
// slot or while this instance waited in its queue.

/** What the coordinator keeps per key, by the count its forgetting reports (test-only). */
const kept = (c: RedisSlotCoordinator): number => (c.forget as unknown as { tracked(): number }).tracked();

describe.runIf(redisTestsEnabled())('a Redis coordinator whose servers leave every pool', () => {
  let redis: RedisServer;
  let raw: Redis;

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
  });

  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
  });

  it('should stay flat over a churn of servers (held, queued, idle ones)', async () => {
    const a = await redisSlotCoordinator({ redis: redis.url, instanceName: 'a', keyPrefix: 'f', leaseMs: 1_500, limits: { 'https://shared.example/': 2 } });
    const b = await redisSlotCoordinator({ redis: redis.url, instanceName: 'b', keyPrefix: 'f', leaseMs: 1_500 });
    try {
      await grab(a, 'https://shared.example/x');
      await sleep(700); // renewed once (every leaseMs / 3): its memo is there before the baseline
      let baseline = 0;
      for (let round = 0; round < 40; round++) {
        if (round === 10) baseline = kept(a); // a limit key's budget (shared) keeps its memos
        const idle = `https://idle-${round}.example/`;
        const held = `https://held-${round}.example/`;
        const queued = `https://queued-${round}.example/`;
        a.budget(a.budgetOf(idle));
        await grab(a, held);
        a.forget?.(held); // still held: counted until its release
        expect(a.budget(held)).toEqual({ limit: 1, inUse: 1 });
        await grab(b, queued);
        expect(a.tryAcquire(queued)).toBe(false); // a waits in the queue of b's server
        await eventually(async () => (await raw.zcard(`{f:${queued}}:waiters`)) === 1, 5_000, 'a queued');
        a.forget?.(queued);
        await eventually(async () => (await raw.zcard(`{f:${queued}}:waiters`)) === 0, 5_000, 'a left the queue');
        b.release(queued);
        b.forget?.(queued);
        a.forget?.(idle);
        a.release(held);
      }
      expect(kept(a)).toBe(baseline);
      expect(kept(b)).toBe(0);
      expect(a.budget('https://held-39.example/')).toEqual({ limit: 1, inUse: 0 });
      // A forgotten server can be listed and used again.
      await grab(a, 'https://held-0.example/');
      a.release('https://held-0.example/');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
