import { describe, expect, it } from 'vitest';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const TASKS = 200;

describe.runIf(redisTestsEnabled())('redisSlotCoordinator across processes', () => {
  const bed = useRedisAndHttp();

  it(`should keep 3 processes x ${TASKS} tasks within a limit of 2 per server, each task with one outcome`, async () => {
    const servers = [bed.http.url('/s1'), bed.http.url('/s2')];
    const workers = ['p1', 'p2', 'p3'].map((name) =>
      WorkerProcess.spawn({ redisUrl: bed.redis.url, instanceName: name, leaseMs: 5_000, servers, defaultLimit: 2, tasks: TASKS, holdMs: 3 }),
    );
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 150_000, "'done'")));

      expect(bed.http.max('/s1')).toBeLessThanOrEqual(2);
      expect(bed.http.max('/s2')).toBeLessThanOrEqual(2);
      // Both servers were used, and in parallel: the budget was shared, not serialised.
      expect(bed.http.max('/s1') + bed.http.max('/s2')).toBeGreaterThanOrEqual(3);
      expectEveryTaskEndedOnce(workers, TASKS, bed.http);
      for (const worker of workers) expect(worker.of('error')).toEqual([]);
      // Every process got work on the shared servers.
      for (const name of ['p1', 'p2', 'p3']) expect(bed.http.requests.filter((r) => r.who === name)).toHaveLength(TASKS);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 200_000);
});
