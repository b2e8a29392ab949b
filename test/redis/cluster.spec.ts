import { describe, expect, it } from 'vitest';
import { startClusterSet } from './clusterSet.js';
import { eventually } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useServersAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce, outcomesOf } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const TASKS = 150;
const LIMIT = 2;

/** The multi-process test on a 3-primary Redis Cluster, with one budget's hash slot moved to another node mid-run. */
describe.runIf(redisTestsEnabled())('redisSlotCoordinator on a Redis Cluster', () => {
  const bed = useServersAndHttp(startClusterSet, (cluster) => cluster.stop());

  it('should keep budgets spread over the nodes within their limits while a slot is resharded, each task with one outcome', async () => {
    const { servers: cluster, http } = bed;
    const paths = ['/c1', '/c2', '/c3'];
    const servers = paths.map((p) => http.url(p));
    const leasesKey = (server: string): string => `{smt:${server}}:leases`;
    // The budgets live on more than one node, or this would test one Redis.
    const owners = await Promise.all(servers.map((s) => cluster.ownerOf(leasesKey(s))));
    expect(new Set(owners).size).toBeGreaterThan(1);

    const names = ['k1', 'k2', 'k3'];
    const workers = names.map((instanceName) =>
      WorkerProcess.spawn({ redisUrl: '', clusterNodes: cluster.nodes, instanceName, leaseMs: 2_000, servers, defaultLimit: LIMIT, tasks: TASKS, holdMs: 20 }),
    );
    try {
      await eventually(() => outcomesOf(workers) >= 60, 90_000, '60 outcomes');
      const moved = servers[0]!;
      const target = cluster.nodes.find((n) => n.port !== owners[0])!.port;
      const movedAt = Date.now();
      await cluster.moveSlotOf(leasesKey(moved), target);
      expect(await cluster.ownerOf(leasesKey(moved))).toBe(target);
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 90_000, "'done'")));

      for (const path of paths) expect(http.max(path)).toBeLessThanOrEqual(LIMIT);
      expectEveryTaskEndedOnce(workers, TASKS, http);
      // Work on the moved budget went on after the move, on its new node.
      expect(http.requests.filter((r) => r.path === '/c1' && r.startedAt > movedAt).length).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 240_000);
});
