import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eventually, sleep } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import { startsWhileAway } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

describe.runIf(redisTestsEnabled())('redisSlotCoordinator when Redis goes away', () => {
  const bed = useRedisAndHttp();

  it('should admit nothing while Redis is down, never over-admit after it returns empty, and finish the work', async () => {
    const server = bed.http.url('/out');
    const common = { redisUrl: bed.redis.url, leaseMs: 1_500, servers: [server], defaultLimit: 1, limits: { [server]: 2 }, tasks: 150, holdMs: 10 };
    const workers = [WorkerProcess.spawn({ ...common, instanceName: 'w1' }), WorkerProcess.spawn({ ...common, instanceName: 'w2' })];
    const outcomes = (): number => workers.reduce((sum, w) => sum + w.of('outcome').length, 0);
    try {
      await eventually(() => outcomes() >= 60, 90_000, '60 outcomes');
      // A long task that runs through the outage: after Redis returns empty, its slot must still count.
      workers[0]!.send({ cmd: 'submit', count: 1, holdMs: 4_500, priority: 10 });
      await eventually(() => bed.http.requests.some((r) => r.holdMs === 4_500), 5_000, 'the long task started');

      const stoppedAt = Date.now();
      await bed.redis.stop();
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'error' && m.kind === 'connection', 15_000, 'a connection error')));
      await sleep(1_000);
      const restartedAt = Date.now();
      await bed.redis.start(); // same port, no data: like a restart without persistence

      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 90_000, "'done'")));

      expect(bed.http.max('/out')).toBeLessThanOrEqual(2);
      for (const worker of workers) expect(startsWhileAway(worker, stoppedAt, restartedAt)).toEqual([]);
      expect(bed.http.requests.filter((r) => r.startedAt > restartedAt).length).toBeGreaterThan(0); // work resumed
      expect(workers[0]!.of('outcome')).toHaveLength(151);
      expect(workers[1]!.of('outcome')).toHaveLength(150);
      for (const worker of workers) expect(worker.of('outcome').every((o) => o.tag === 'Succeeded')).toBe(true);

      // The limit set by the instances was written back after Redis lost it.
      const raw = new Redis(bed.redis.url);
      try {
        expect(await raw.hget('smt:limits', server)).toBe('2');
      } finally {
        raw.disconnect();
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 240_000);
});
