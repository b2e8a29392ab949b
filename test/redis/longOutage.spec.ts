import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eventually, sleep } from './grab.js';
import { redisTestsEnabled, startRedisServer } from './redisServer.js';
import { useServersAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce, startsWhileAway } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const LEASE_MS = 1_000;
const LIMIT = 3;

/**
 * Redis away for three leases while every process has an attempt running through the outage and
 * more waiting: when Redis comes back, empty or with its data (every lease has lapsed by its
 * clock), no waiting attempt may take a slot before the running ones are listed again.
 */
describe.runIf(redisTestsEnabled())('redisSlotCoordinator after an outage longer than the lease', () => {
  let dir = ''; // where SAVE writes and a restart loads
  const bed = useServersAndHttp(
    () => startRedisServer(undefined, { dir: (dir = mkdtempSync(join(tmpdir(), 'smt-rx-redis-'))) }),
    async (redis) => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  );

  it('should never over-admit when Redis returns after 3 x leaseMs, empty or with its data, and finish every task once', async () => {
    const { servers: redis, http } = bed;
    const path = '/long';
    const server = http.url(path);
    const names = ['o1', 'o2', 'o3'];
    const workers = names.map((instanceName) =>
      WorkerProcess.spawn({ redisUrl: redis.url, instanceName, leaseMs: LEASE_MS, servers: [server], limits: { [server]: LIMIT }, tasks: 0, holdMs: 30 }),
    );
    const raw = new Redis(redis.url, { lazyConnect: true });
    raw.on('error', () => undefined);
    let submitted = 0;
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'ready', 90_000, "'ready'")));
      for (const withData of [false, true]) {
        // One long attempt per process, running through the outage and past Redis's return.
        const longs = http.requests.filter((r) => r.holdMs === 5_000).length;
        for (const w of workers) w.send({ cmd: 'submit', count: 1, holdMs: 5_000, priority: 10 });
        await eventually(() => http.requests.filter((r) => r.holdMs === 5_000).length === longs + LIMIT, 10_000, 'every long attempt running');
        for (const w of workers) w.send({ cmd: 'submit', count: 10 }); // waiting: the budget is full
        submitted += 11;
        await sleep(200);

        if (withData) {
          await raw.connect();
          await raw.save(); // the leases as they are now; by Redis's clock they lapse during the outage
          raw.disconnect();
        }
        const stoppedAt = Date.now();
        await redis.stop();
        await sleep(3 * LEASE_MS);
        const restartedAt = Date.now();
        await redis.start();

        await Promise.all(workers.map((w) => w.until(() => w.of('outcome').length === submitted, 60_000, `${submitted} outcomes`)));
        expect(http.max(path)).toBeLessThanOrEqual(LIMIT);
        // Nothing was granted while Redis was away.
        for (const worker of workers) expect(startsWhileAway(worker, stoppedAt, restartedAt)).toEqual([]);
      }
      expectEveryTaskEndedOnce(workers, submitted, http);
    } finally {
      raw.disconnect();
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 240_000);
});
