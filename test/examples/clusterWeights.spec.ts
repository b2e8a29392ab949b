import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClusterWeights } from '../../examples/clusterWeights.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from '../redis/redisServer.js';

// examples/clusterWeights.ts (README "Task weight") against a real redis-server.
describe.runIf(redisTestsEnabled())('examples/clusterWeights.ts', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('should keep the weight running over both instances within the budget, and start the big jobs amid the small stream', async () => {
    const report = await runClusterWeights(redis.url);
    expect(report.outcomes).toEqual(Array(44).fill('Succeeded'));
    expect(report.mostWeight).toBeLessThanOrEqual(4);
    expect(report.mostWeight).toBeGreaterThanOrEqual(3);
    // The big jobs were not left until the small stream ran dry.
    expect(report.smallBeforeLastBig).toBeLessThan(40);
  }, 60_000);
});
