import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, type ClusterStats } from '../../src/index.js';
import { dashboard, type DashboardState } from '../../src/dashboard/index.js';
import { redisSlotCoordinator } from '../../src/redis/index.js';
import { eventually } from './grab.js';
import { redisTestsEnabled } from './redisServer.js';
import { useRedisAndHttp } from './testBed.js';
import type { WorkerCommand, WorkerMessage } from './worker.js';
import { WorkerProcess } from './workerProcess.js';

/** Sends a command and resolves with the next message of that type. */
async function ask<T extends WorkerMessage['type']>(worker: WorkerProcess, command: WorkerCommand, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  const before = worker.of(type).length;
  worker.send(command);
  await worker.waitForCount(type, before + 1, 30_000);
  return worker.of(type)[before] as Extract<WorkerMessage, { type: T }>;
}

/** Reads the dashboard's event stream (as its page does) until a state matches. */
async function dashboardState(site: Server, match: (state: DashboardState) => boolean): Promise<DashboardState> {
  const { port } = site.address() as AddressInfo;
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/events`, { signal: controller.signal });
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const parts = buffer.split('\n\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) {
        const data = /^data: (.*)$/m.exec(part)?.[1];
        const state = data === undefined ? undefined : (JSON.parse(data) as DashboardState);
        if (state !== undefined && match(state)) return state;
      }
    }
  } finally {
    controller.abort();
  }
  throw new Error('the dashboard stream ended');
}

describe.runIf(redisTestsEnabled())('cluster-wide stats through the manager, across processes', () => {
  const bed = useRedisAndHttp();

  it('should show every process the same budget: slots in use everywhere and processes waiting, on clusterStats$ and the dashboard', async () => {
    const server = bed.http.url('/s1');
    // 3 processes x 2 long tasks on one server of limit 2: 2 run, the rest wait, for the whole test.
    const workers = ['v1', 'v2', 'v3'].map((name) =>
      WorkerProcess.spawn({ redisUrl: bed.redis.url, instanceName: name, leaseMs: 5_000, servers: [server], defaultLimit: 2, tasks: 2, holdMs: 120_000 }),
    );
    // A fourth process (this one) runs nothing on that server: its stats() says 0 in use, its cluster view 2.
    const coordinator = await redisSlotCoordinator({ redis: bed.redis.url, instanceName: 'observer', defaultLimit: 2, clusterStatsMs: 100 });
    const manager = createTaskManager({ providers: [defineProvider({ name: 'http', servers: [server], handle: () => 'unused' })], coordinator });
    const board = dashboard(manager, { throttleMs: 50 });
    const site = createServer(board).listen(0, '127.0.0.1');
    try {
      await eventually(() => bed.http.current('/s1') === 2, 60_000, 'two requests running');
      const budget = Object.keys(manager.stats().servers)[0] as string;
      expect(manager.stats().servers[budget]).toEqual({ limit: 2, inUse: 0, waiters: 0 });

      // What each process sees of itself, and how many of them have tasks waiting for that budget.
      const local = await Promise.all(workers.map((w) => ask(w, { cmd: 'stats' }, 'stats')));
      expect(local.reduce((sum, s) => sum + (s.servers[budget]?.inUse ?? 0), 0)).toBe(2);
      const waiting = local.filter((s) => (s.servers[budget]?.waiters ?? 0) > 0).length;
      expect(waiting).toBeGreaterThanOrEqual(2); // 4 tasks wait, at most 2 per process
      const expected: ClusterStats = { [budget]: { limit: 2, inUse: 2, waiters: waiting } };

      // Every process, through its manager, sees the whole cluster the same way.
      for (const worker of workers) {
        await eventually(async () => JSON.stringify((await ask(worker, { cmd: 'clusterStats' }, 'clusterStats')).budgets) === JSON.stringify(expected), 30_000, `${worker.name}'s cluster view`);
      }
      await eventually(async () => JSON.stringify(await firstValueFrom(manager.clusterStats$)) === JSON.stringify(expected), 30_000, "the observer's cluster view");
      expect(manager.stats().servers[budget]?.inUse).toBe(0); // stats() stays per process

      // The dashboard shows the cluster part beside the per-process row.
      const state = await dashboardState(site, (s) => s.budgets[0]?.cluster?.inUse === 2);
      expect(state.budgets).toEqual([{ key: budget, limit: 2, inUse: 0, waiters: 0, cluster: { inUse: 2, waiters: waiting } }]);
    } finally {
      board.close();
      site.close();
      await manager.shutdown();
      await coordinator.close();
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 120_000);
});
