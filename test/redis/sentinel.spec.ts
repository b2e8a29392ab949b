import { describe, expect, it } from 'vitest';
import { eventually } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { startSentinelSet } from './sentinelSet.js';
import { useServersAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce, outcomesOf } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const TASKS = 60;
const LIMIT = 2;

/** A primary killed mid-run; Sentinel promotes the replica, which may lack the newest leases. */
describe.runIf(redisTestsEnabled())('redisSlotCoordinator through a Sentinel failover', () => {
  const bed = useServersAndHttp(startSentinelSet, (set) => set.stop());

  it('should keep every budget within its limit across the failover, resume by itself and end every task once', async () => {
    const { servers: set, http } = bed;
    const servers = [http.url('/f1'), http.url('/f2')];
    const names = ['s1', 's2', 's3'];
    const workers = names.map((instanceName) =>
      WorkerProcess.spawn({ redisUrl: '', redisOptions: set.options, instanceName, leaseMs: 2_000, servers, defaultLimit: LIMIT, tasks: TASKS, holdMs: 60 }),
    );
    try {
      await eventually(() => outcomesOf(workers) >= 30, 90_000, '30 outcomes');
      // Attempts that run through the failover: their leases lapse, or were never replicated.
      for (const w of workers) w.send({ cmd: 'submit', count: 1, holdMs: 6_000, priority: 10 });
      await eventually(() => http.requests.filter((r) => r.holdMs === 6_000).length === names.length, 20_000, 'the long attempts running');
      const killedAt = Date.now();
      await set.primary.stop(); // SIGKILL
      await eventually(async () => (await set.currentPrimaryPort()) === set.replica.port, 30_000, 'the replica promoted');
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 90_000, "'done'")));

      for (const path of ['/f1', '/f2']) expect(http.max(path)).toBeLessThanOrEqual(LIMIT);
      expectEveryTaskEndedOnce(workers, TASKS + 1, http);
      for (const w of workers) expect(w.of('error').some((e) => e.kind === 'connection')).toBe(true); // the failover was felt
      expect(http.requests.filter((r) => r.startedAt > killedAt).length).toBeGreaterThan(0); // resumed on the new primary
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 240_000);
});
