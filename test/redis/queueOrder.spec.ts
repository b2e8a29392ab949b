import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetKeys } from '../../src/redis/keys.js';
import { ACQUIRE } from '../../src/redis/scripts.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from './redisServer.js';

const nowMs = (time: [string, string]): number => Number(time[0]) * 1_000 + Math.floor(Number(time[1]) / 1_000);

describe.runIf(redisTestsEnabled())('the acquire script queue', () => {
  let redis: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
  }, 60_000);
  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
  });

  // Two processes asking in the same millisecond used to tie on the score and be ranked by name.
  it('should put a waiter behind every process already waiting, even within the same millisecond', async () => {
    let sameMs = false;
    for (let attempt = 0; attempt < 50 && !sameMs; attempt++) {
      const keys = budgetKeys(`order${attempt}`, 'srv');
      const keyList = [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.epoch, keys.rate, keys.starts, keys.lastStart, keys.waiterWeights];
      // Limit 0: both queue. 'z' asks first, 'a' second: name order is the reverse of arrival.
      const ask = (instance: string): (string | number)[] => [ACQUIRE.source, keyList.length, ...keyList, 'srv', instance, `${instance}:1`, 10_000, '0', 'ch', '0'];
      const replies = await raw.multi().time().eval(...(ask('z') as [string, number])).eval(...(ask('a') as [string, number])).time().exec();
      const [before, after] = [replies?.[0]?.[1], replies?.[3]?.[1]] as [string, string][];
      if (nowMs(before) !== nowMs(after)) continue; // the millisecond turned: no tie to test, ask again
      sameMs = true;
      expect(await raw.zrange(keys.waiters, 0, -1)).toEqual(['z', 'a']);
      // Asking again keeps each one's place.
      await raw.eval(...(ask('z') as [string, number]));
      expect(await raw.zrange(keys.waiters, 0, -1)).toEqual(['z', 'a']);
    }
    expect(sameMs).toBe(true);
  });
});
