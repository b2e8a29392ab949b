import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import { WorkerProcess } from './workerProcess.js';

const LEASE_MS = 1_500;

describe.runIf(redisTestsEnabled())('redisSlotCoordinator when a process is killed', () => {
  const bed = useRedisAndHttp();
  let raw: Redis;

  beforeAll(() => {
    raw = new Redis(bed.redis.url);
  });

  afterAll(() => {
    raw?.disconnect();
  });

  it('should give the slots of a process killed with SIGKILL to the others within the lease', async () => {
    const server = bed.http.url('/crash');
    const common = { redisUrl: bed.redis.url, keyPrefix: 'crash', leaseMs: LEASE_MS, servers: [server], limits: { [server]: 2 } };
    const victim = WorkerProcess.spawn({ ...common, instanceName: 'victim', tasks: 2, holdMs: 60_000 });
    const other = WorkerProcess.spawn({ ...common, instanceName: 'other', tasks: 0, holdMs: 20 });
    try {
      await eventually(() => bed.http.current('/crash') === 2, 20_000, 'the victim holds both slots');
      await other.waitFor((m) => m.type === 'ready', 20_000, "'ready'");
      other.send({ cmd: 'submit', count: 6 });
      await eventually(async () => (await raw.zcard(`{crash:${server}}:waiters`)) === 1, 5_000, 'the other instance waits');
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2)); // some renewals happen

      const killedAt = Date.now();
      victim.kill('SIGKILL');
      const first = await other.waitFor((m) => m.type === 'started', 10_000, "a 'started'");
      const recoveredIn = (first as { at: number }).at - killedAt;
      expect(recoveredIn).toBeLessThanOrEqual(LEASE_MS + 500);
      expect(recoveredIn).toBeGreaterThan(LEASE_MS / 4); // the lease ran out: nobody released

      await other.waitFor((m) => m.type === 'done', 10_000, "'done'");
      expect(other.of('outcome').map((o) => o.tag)).toEqual(Array(6).fill('Succeeded'));
      expect(bed.http.max('/crash')).toBe(2);
      // Both slots came back, not just one.
      expect(bed.http.requests.filter((r) => r.who === 'other').some((r, _i, all) => all.some((s) => s !== r && s.startedAt < r.endedAt! && r.startedAt < s.endedAt!))).toBe(true);
    } finally {
      victim.kill('SIGKILL');
      await other.stop();
    }
  }, 60_000);
});
