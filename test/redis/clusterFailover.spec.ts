import { describe, expect, it } from 'vitest';
import { startClusterSet } from './clusterSet.js';
import { eventually, sleep } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useServersAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const LIMIT = 2;
const LONG_MS = 4_000;

/** A primary of a Redis Cluster fails over to a replica that lacks the newest leases. */
describe.runIf(redisTestsEnabled())('redisSlotCoordinator on a Redis Cluster: a primary failover', () => {
  const bed = useServersAndHttp(() => startClusterSet({ replicas: true }), (cluster) => cluster.stop());

  it('should fence the budget on the promoted replica: never above its limit, work resumes, each task with one outcome', async () => {
    const { servers: cluster, http } = bed;
    const path = '/f1';
    const server = http.url(path);
    const leasesKey = `{smt:${server}}:leases`;
    const workers = ['f1', 'f2', 'f3'].map((instanceName) =>
      WorkerProcess.spawn({ redisUrl: '', clusterNodes: cluster.nodes, instanceName, leaseMs: 3_000, servers: [server], defaultLimit: LIMIT, tasks: 0, holdMs: 20 }),
    );
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'ready', 90_000, "'ready'")));
      // Every process uses the budget first (so each knows it), then long attempts fill it and more wait.
      for (const w of workers) w.send({ cmd: 'submit', count: 2 });
      await eventually(() => http.requests.length === 6 && http.current(path) === 0, 60_000, 'the first tasks done');
      for (const w of workers) w.send({ cmd: 'submit', count: 1, holdMs: LONG_MS, priority: 10 });
      await eventually(() => http.current(path) === LIMIT, 30_000, 'the budget full of long attempts');
      for (const w of workers) w.send({ cmd: 'submit', count: 20 });
      await sleep(300);

      // The replica is promoted without the leases of the attempts running now.
      const failedOverAt = Date.now();
      await cluster.failOver(leasesKey, (key) => key === leasesKey);

      await Promise.all(workers.map((w) => w.until(() => w.of('outcome').length === 23, 120_000, '23 outcomes')));
      expect(http.max(path)).toBeLessThanOrEqual(LIMIT);
      expectEveryTaskEndedOnce(workers, 23, http);
      expect(http.requests.filter((r) => r.startedAt > failedOverAt).length).toBeGreaterThan(0); // resumed on the new primary
      // The holders listed their running leases again on the new primary.
      expect(workers.some((w) => w.of('error').some((e) => e.kind === 'lease-lost'))).toBe(true);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 240_000);
});
