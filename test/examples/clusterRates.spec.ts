import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClusterRates } from '../../examples/clusterRates.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from '../redis/redisServer.js';

// examples/clusterRates.ts (README "Start rates across processes") against a real redis-server.
describe.runIf(redisTestsEnabled())('examples/clusterRates.ts', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('should hold the shared quota over both instances, and let the raised rate reach the other instance', async () => {
    const report = await runClusterRates(redis.url);
    expect(report.outcomes).toEqual(Array(24).fill('Succeeded'));
    // 12 starts at 4 per 500 ms: the 12th comes at least 2 windows after the 1st (Redis and this
    // process read the same clock; the submissions come before the 1st start, the outcomes after the 12th).
    expect(report.phase1Ms).toBeGreaterThanOrEqual(1_000);
    expect(report.ratesOnB).toEqual(new Map([['https://api.example.com/', { starts: 20, intervalMs: 500, minTimeMs: 0 }]]));
  }, 60_000);
});
