import { describe, expect, it } from 'vitest';
import { normalizeServerKey } from '../../src/index.js';
import { redisTestsEnabled } from './redisServer.js';
import { mostInAnyWindow, smallestGap, watchStarts } from './startWatch.js';
import { useRedisAndHttp } from './testBed.js';
import { expectEveryTaskEndedOnce } from './workerAssertions.js';
import { WorkerProcess } from './workerProcess.js';

const NAMES = ['p1', 'p2', 'p3'];

describe.runIf(redisTestsEnabled())('redisSlotCoordinator start rates across processes', () => {
  const bed = useRedisAndHttp();

  const spawn = (prefix: string, path: string, tasks: number, rates: Record<string, object>, names = NAMES): WorkerProcess[] =>
    names.map((name) =>
      WorkerProcess.spawn({ redisUrl: bed.redis.url, instanceName: name, keyPrefix: prefix, leaseMs: 5_000, servers: [bed.http.url(path)], defaultLimit: 10, rates, tasks: 0, holdMs: 5 }),
    ).map((worker) => {
      void worker.waitFor((m) => m.type === 'ready').then(() => worker.send({ cmd: 'submit', count: tasks }));
      return worker;
    });

  it('should start at most `starts` per interval across 3 processes, each waiting process asking again when the window allows', async () => {
    const server = bed.http.url('/window');
    const watch = await watchStarts(bed.redis.url, 'rw', normalizeServerKey(server));
    const workers = spawn('rw', '/window', 8, { [server]: { starts: 3, intervalMs: 300 } });
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 60_000, "'done'")));
      expectEveryTaskEndedOnce(workers, 8, bed.http);
      // Every request the server counted was a start Redis granted under the rate.
      expect(watch.grants).toHaveLength(24);
      expect(mostInAnyWindow(watch.grants, 300)).toBe(3);
      // No polling: a refused process asks again when Redis says its place may start, so the
      // acquire calls stay within a few per start (a poll every few ms would make hundreds).
      expect(watch.acquires / watch.grants.length).toBeLessThan(2 * NAMES.length);
      for (const worker of workers) expect(worker.of('error')).toEqual([]);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await watch.stop();
    }
  }, 90_000);

  it('should keep minTimeMs between any two starts of 2 processes', async () => {
    const server = bed.http.url('/gap');
    const watch = await watchStarts(bed.redis.url, 'rg', normalizeServerKey(server));
    const workers = spawn('rg', '/gap', 6, { [server]: { minTimeMs: 120 } }, ['p1', 'p2']);
    try {
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'done', 60_000, "'done'")));
      expect(watch.grants).toHaveLength(12);
      expect(smallestGap(watch.grants)).toBeGreaterThanOrEqual(120);
      expect(bed.http.requests.filter((r) => r.path === '/gap')).toHaveLength(12);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await watch.stop();
    }
  }, 90_000);

  it('should apply a rate changed on one process to every process at once', async () => {
    const server = bed.http.url('/live');
    const watch = await watchStarts(bed.redis.url, 'rl', normalizeServerKey(server));
    // 1 start per 5 s: the 10 tasks of p2 would take 45 s.
    const [p1, p2] = spawn('rl', '/live', 0, { [server]: { starts: 1, intervalMs: 5_000 } }, ['p1', 'p2']) as [WorkerProcess, WorkerProcess];
    try {
      await Promise.all([p1, p2].map((w) => w.waitFor((m) => m.type === 'ready')));
      p2.send({ cmd: 'submit', count: 10 });
      await p2.waitForCount('started', 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(p2.of('started')).toHaveLength(1); // the slow rate holds the other 9

      const changedAt = Date.now();
      p1.send({ cmd: 'setRate', key: server, rate: { starts: 3, intervalMs: 400 } });
      await p2.waitFor((m) => m.type === 'done', 30_000, "'done'");
      // p2 was waiting on a timer for the old window (5 s): the change woke it.
      expect(p2.of('started')[1]!.at - changedAt).toBeLessThan(5_000);
      const after = watch.grants.slice(1);
      expect(after).toHaveLength(9);
      expect(mostInAnyWindow(after, 400)).toBe(3);
      p2.send({ cmd: 'rates' });
      const seen = await p2.waitFor((m) => m.type === 'rates');
      expect(seen).toEqual({ type: 'rates', rates: { [normalizeServerKey(server)]: { starts: 3, intervalMs: 400, minTimeMs: 0 } } });
    } finally {
      await Promise.all([p1, p2].map((w) => w.stop()));
      await watch.stop();
    }
  }, 90_000);
});
