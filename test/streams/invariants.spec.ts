import { isRight } from 'fp-ts/lib/Either.js';
import { throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, localSlotCoordinator, type Provider } from '../../src/index.js';
import { InvariantChecker, seeded } from '../helpers/invariants.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

const servers = {
  ax: 'https://a.example.com/x?s=1',
  ay: 'https://a.example.com/y',
  gpu1: 'gpu-1',
  gpu2: 'gpu-2',
  c: 'http://c.example.com:8080/render',
};

describe('invariants at scale', () => {
  it('should keep every budget within its limit and give each slot to the best waiting task (10,000 tasks, 3 providers, 5 servers)', () => {
    inVirtualTime((scheduler, flush) => {
      const random = seeded(42);
      const coordinator = localSlotCoordinator({
        limits: { 'https://a.example.com': 3, 'gpu-1': 2, 'http://c.example.com:8080': 4 },
      });
      const pools = new Map<string, readonly string[]>([
        ['alpha', [servers.ax, servers.gpu1]],
        ['beta', [servers.ay, servers.gpu1, servers.gpu2]],
        ['gamma', [servers.gpu2, servers.c]],
      ]);
      const checker = new InvariantChecker(coordinator, pools);
      const durations = new Map<string, number>();
      const providers: Provider[] = [...pools].map(([name, pool]) => ({
        name,
        servers: pool,
        handle: (task, ctx) => checker.track(task.id, ctx.server, work(durations.get(task.id) ?? 1, null, scheduler)),
      }));
      const m = createTaskManager({ scheduler, coordinator, providers });
      checker.watch(m);
      const names = [...pools.keys()];
      let submitted = 0;
      // Bursts at random times, so the queues fill and drain repeatedly.
      for (let burst = 0; burst < 100; burst++) {
        scheduler.schedule(() => {
          for (let i = 0; i < 100; i++) {
            const id = `t${submitted++}`;
            const priority = Math.floor(random() * 10);
            durations.set(id, 1 + Math.floor(random() * 40));
            checker.noteSubmit(id, priority);
            const r = m.submit({ provider: names[Math.floor(random() * names.length)] as string, payload: null, id, priority });
            expect(isRight(r)).toBe(true);
          }
        }, Math.floor(random() * 5000));
      }
      flush();
      expect(checker.violations).toEqual([]);
      expect(checker.starts).toBe(10_000);
      expect(checker.outcomes.size).toBe(10_000);
      expect([...checker.outcomes.values()].every((n) => n === 1)).toBe(true);
      for (const budget of Object.values(m.stats().servers)) expect(budget.inUse).toBe(0);
    });
  });

  it('should never exceed the limit in force while limits and pools change under 5,000 tasks with retries and cancels', () => {
    inVirtualTime((scheduler, flush) => {
      const random = seeded(7);
      const coordinator = localSlotCoordinator({ limits: { 'https://a.example.com': 3, 'gpu-1': 2 } });
      const pools = new Map<string, readonly string[]>([
        ['alpha', [servers.ax, servers.gpu1]],
        ['beta', [servers.ay, servers.gpu1, servers.gpu2]],
        ['gamma', [servers.gpu2, servers.c]],
      ]);
      const checker = new InvariantChecker(coordinator, pools);
      const fails = new Set<string>();
      const providers: Provider[] = [...pools].map(([name, pool]) => ({
        name,
        servers: pool,
        handle: (task, ctx) =>
          fails.has(task.id) && ctx.attempt === 1
            ? throwError(() => new Error('flaky'))
            : checker.track(task.id, ctx.server, work(1 + Math.floor(random() * 30), null, scheduler)),
      }));
      const m = createTaskManager({ scheduler, coordinator, providers, retry: { maxRetries: 2, backoff: { initialDelayMs: 5 } }, random });
      checker.watch(m);
      const names = [...pools.keys()];
      const ids: string[] = [];
      for (let i = 0; i < 5000; i++) {
        scheduler.schedule(() => {
          const id = `t${i}`;
          const priority = Math.floor(random() * 5);
          if (random() < 0.05) fails.add(id);
          checker.noteSubmit(id, priority);
          if (isRight(m.submit({ provider: names[i % 3] as string, payload: null, id, priority }))) ids.push(id);
        }, Math.floor(i / 2));
      }
      // Every 25 ms: a limit goes up or down (0 pauses), a prefix limit comes and goes, a pool changes, a few cancels.
      const limitKeys = ['https://a.example.com', 'gpu-1', 'gpu-2', 'http://c.example.com:8080/render', 'http://c.example.com'];
      for (let t = 10; t < 3000; t += 25) {
        scheduler.schedule(() => {
          const key = limitKeys[Math.floor(random() * limitKeys.length)] as string;
          const roll = random();
          if (roll < 0.15) m.removeServerLimit(key);
          else m.setServerLimit(key, Math.floor(random() * 4));
          if (random() < 0.3) {
            const name = names[Math.floor(random() * 3)] as string;
            const all = Object.values(servers);
            const pool = all.filter(() => random() < 0.6);
            const next = pool.length > 0 ? pool : [servers.gpu2];
            pools.set(name, next);
            expect(isRight(m.updateProviderServers(name, next))).toBe(true);
          }
          for (let k = 0; k < 3; k++) m.cancel(ids[Math.floor(random() * ids.length)] as string);
        }, t);
      }
      // Finally open everything up so the queues drain.
      scheduler.schedule(() => {
        for (const key of limitKeys) m.setServerLimit(key, 2);
      }, 3100);
      flush();
      expect(checker.violations).toEqual([]);
      expect(checker.outcomes.size).toBe(5000);
      expect([...checker.outcomes.values()].every((n) => n === 1)).toBe(true);
      const stats = Object.values(m.stats().providers);
      expect(stats.reduce((n, p) => n + p.succeeded + p.failed + p.cancelled, 0)).toBe(5000);
      expect(stats.every((p) => p.queued === 0 && p.running === 0 && p.waiting === 0)).toBe(true);
    });
  });
});
