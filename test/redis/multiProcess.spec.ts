import { describe, expect, it } from 'vitest';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import { WorkerProcess } from './workerProcess.js';

describe.runIf(redisTestsEnabled())('redisSlotCoordinator across processes', () => {
  const bed = useRedisAndHttp();

  it('should keep 3 processes x 300 tasks within a limit of 2 per server, each task with one outcome', async () => {
    const servers = [bed.http.url('/s1'), bed.http.url('/s2')];
    const workers = ['p1', 'p2', 'p3'].map((name) =>
      WorkerProcess.spawn({ redisUrl: bed.redis.url, instanceName: name, leaseMs: 5_000, servers, defaultLimit: 2, tasks: 300, holdMs: 3 }),
    );
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 60_000, "'done'")));

      expect(bed.http.max('/s1')).toBeLessThanOrEqual(2);
      expect(bed.http.max('/s2')).toBeLessThanOrEqual(2);
      // Both servers were used, and in parallel: the budget was shared, not serialised.
      expect(bed.http.max('/s1') + bed.http.max('/s2')).toBeGreaterThanOrEqual(3);
      for (const worker of workers) {
        const outcomes = worker.of('outcome');
        expect(outcomes).toHaveLength(300);
        expect(new Set(outcomes.map((o) => o.id)).size).toBe(300);
        expect(outcomes.every((o) => o.tag === 'Succeeded')).toBe(true);
        expect(worker.of('error')).toEqual([]);
      }
      expect(bed.http.requests).toHaveLength(900);
      // Every process got work on the shared servers.
      for (const name of ['p1', 'p2', 'p3']) expect(bed.http.requests.filter((r) => r.who === name)).toHaveLength(300);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 90_000);
});
