import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mostAtOnce } from './concurrencyServer.js';
import { eventually } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import { WorkerProcess } from './workerProcess.js';

// Long enough that a loaded machine's event-loop lag cannot pass for a lease running out.
const LEASE_MS = 3_000;

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
    // Tasks long enough that two which start together surely overlap, however loaded the machine.
    const other = WorkerProcess.spawn({ ...common, instanceName: 'other', tasks: 0, holdMs: 600 });
    try {
      await eventually(() => bed.http.current('/crash') === 2, 60_000, 'the victim holds both slots');
      await other.waitFor((m) => m.type === 'ready', 60_000, "'ready'");
      other.send({ cmd: 'submit', count: 6 });
      await eventually(async () => (await raw.zcard(`{crash:${server}}:waiters`)) === 1, 5_000, 'the other instance waits');
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2)); // some renewals happen

      const killedAt = Date.now();
      victim.kill('SIGKILL');
      const first = await other.waitFor((m) => m.type === 'started', 20_000, "a 'started'");
      const recoveredIn = (first as { at: number }).at - killedAt;
      expect(recoveredIn).toBeLessThanOrEqual(LEASE_MS + 1_500);
      // The lease ran out (it was renewed at most a third of it before the kill): nobody released.
      expect(recoveredIn).toBeGreaterThan(LEASE_MS / 3);

      await other.waitFor((m) => m.type === 'done', 30_000, "'done'");
      expect(other.of('outcome').map((o) => o.tag)).toEqual(Array(6).fill('Succeeded'));
      expect(bed.http.max('/crash')).toBe(2);
      // Both slots came back, not just one: the other instance ran two at once.
      expect(mostAtOnce(bed.http.requests.filter((r) => r.who === 'other'))).toBe(2);
    } finally {
      victim.kill('SIGKILL');
      await other.stop();
    }
  }, 180_000);
});
