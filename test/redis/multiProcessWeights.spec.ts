import { describe, expect, it } from 'vitest';
import { mostWeightAtOnce } from './concurrencyServer.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const TASKS = 60;
const LIMIT = 4;

describe.runIf(redisTestsEnabled())('redisSlotCoordinator with task weights across processes', () => {
  const bed = useRedisAndHttp();

  it(`should keep 3 processes x ${TASKS} tasks of weights 1-3 within a weight of ${LIMIT} on one server, each task with one outcome`, async () => {
    const servers = [bed.http.url('/gpu')];
    // Each process starts its turn of weights elsewhere, so heavy and light tasks meet across processes.
    const turns = [
      [1, 2, 3],
      [3, 1, 2],
      [2, 3, 1],
    ];
    const workers = ['p1', 'p2', 'p3'].map((name, i) =>
      WorkerProcess.spawn({ redisUrl: bed.redis.url, instanceName: name, leaseMs: 5_000, servers, defaultLimit: LIMIT, tasks: TASKS, holdMs: 5, weights: turns[i] }),
    );
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 150_000, "'done'")));

      expect(mostWeightAtOnce(bed.http.requests)).toBeLessThanOrEqual(LIMIT);
      // The budget was shared, not serialised: more than one task ran at once at some point.
      expect(bed.http.max('/gpu')).toBeGreaterThanOrEqual(2);
      expectEveryTaskEndedOnce(workers, TASKS, bed.http);
      for (const worker of workers) expect(worker.of('error')).toEqual([]);
      // Heavy tasks ran in every process: none was starved by the light ones.
      for (const name of ['p1', 'p2', 'p3']) expect(bed.http.requests.filter((r) => r.who === name && r.weight === 3)).toHaveLength(TASKS / 3);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 200_000);
});
