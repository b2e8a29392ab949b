import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { SchedulerLike } from 'rxjs';
import { createTaskManager, type TaskManager } from '../../src/index.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { SlotBroker } from '../../src/slots/slotBroker.js';
import type { SlotCoordinator } from '../../src/slots/slotCoordinator.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import { forwarding } from '../helpers/coordinators.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

// Pools that change live: a coordinator forgets a server once no pool lists it and it holds no slot
// (a crawler whose pools come and go must not keep a count per server it ever saw), and the broker's
// index, updated in place where it can be, says what a rebuild would.

type Tracked = SlotCoordinator & { tracked(): { servers: number; budgets: number }; memoized(): number };

/** A manager with provider 'p' on server 's' (limit `limit`): each task runs 10 ms and notes `payload:server@start`. */
function onServer(scheduler: SchedulerLike, limit: number): { coordinator: Tracked; starts: string[]; m: TaskManager } {
  const coordinator = localSlotCoordinator({ defaultLimit: limit }) as Tracked;
  const starts: string[] = [];
  const m = createTaskManager({
    scheduler,
    coordinator,
    providers: [{ name: 'p', servers: ['s'], handle: (task, ctx) => (starts.push(`${String(task.payload)}:${ctx.server}@${scheduler.now()}`), work(10, 'ok', scheduler)) }],
  });
  return { coordinator, starts, m };
}

describe('servers that left every pool', () => {
  it('should be forgotten by the coordinator, however many pools came and went', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 }) as Tracked;
      const m = createTaskManager({ scheduler, coordinator, providers: [{ name: 'p', servers: [], handle: () => work(1, 'ok', scheduler) }] });
      for (let round = 0; round < 300; round++) {
        expect(isRight(m.updateProviderServers('p', [`https://crawl-${round}.example/`, `https://crawl-${round}.example:8080/`]))).toBe(true);
        m.submit({ provider: 'p', payload: round });
        m.submit({ provider: 'p', payload: round });
        flush();
      }
      expect(m.stats().providers['p']?.succeeded).toBe(600);
      // The current pool (2 servers, 2 budgets) is all that is kept.
      expect(coordinator.tracked()).toEqual({ servers: 2, budgets: 2 });
      await m.shutdown();
    });
  });

  it('should not keep a memo per server it ever saw (budgets looked up while idle too)', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 }) as Tracked;
      const m = createTaskManager({ scheduler, coordinator, providers: [{ name: 'p', servers: [], handle: () => work(1, 'ok', scheduler) }] });
      for (let round = 0; round < 200; round++) {
        m.updateProviderServers('p', [`https://crawl-${round}.example/`, `HTTPS://Crawl-${round}.example:8080`]);
        // Looked up (as stats and the server choice do) but only one of the two is started on.
        for (const key of [`https://crawl-${round}.example/`, `https://crawl-${round}.example:8080/`]) coordinator.budget(coordinator.budgetOf(key));
        m.submit({ provider: 'p', payload: round });
        flush();
      }
      // Two servers listed now: their budgetOf and budgetKey memos, nothing of the 198 rounds before.
      expect(coordinator.memoized()).toBeLessThanOrEqual(4);
      await m.shutdown();
    });
  });

  // Weighted: the server keeps counting the running task's whole weight (2 of 3: a second task of weight 2 waits).
  it.each([
    { limit: 1, weight: 1 },
    { limit: 3, weight: 2 },
  ])('should keep a dropped server counted while its slot is held, and forget it when the slot comes back (limit $limit, weight $weight)', async ({ limit, weight }) => {
    await inVirtualTime(async (scheduler, flush) => {
      const { coordinator, starts, m } = onServer(scheduler, limit);
      m.submit({ provider: 'p', payload: 'a', weight });
      m.updateProviderServers('p', ['t']);
      expect(coordinator.tracked().servers).toBe(1); // 's', held by 'a'
      expect(coordinator.budget('s')).toEqual({ limit, inUse: weight });
      // Listed again while 'a' still runs there: the limit still counts 'a'.
      m.updateProviderServers('p', ['s']);
      m.submit({ provider: 'p', payload: 'b', weight });
      flush();
      expect(starts).toEqual(['a:s@0', 'b:s@10']);
      m.updateProviderServers('p', ['t']);
      flush();
      expect(coordinator.tracked()).toEqual({ servers: 0, budgets: 0 });
      await m.shutdown();
    });
  });

  it('should be asked of the coordinator only when the last pool listing the server drops it', () => {
    const forgotten: string[] = [];
    const coordinator = forwarding(localSlotCoordinator(), { forget: (k) => forgotten.push(k) });
    const broker = new SlotBroker<string>({ coordinator });
    const a = broker.join(new PullQueue<string>((x, y) => x.localeCompare(y)), () => undefined);
    const b = broker.join(new PullQueue<string>((x, y) => x.localeCompare(y)), () => undefined);
    broker.setServers(a, ['x', 'y', 'HTTPS://Z.example']);
    broker.setServers(b, ['y', 'https://z.example/']);
    broker.setServers(a, ['x']);
    expect(forgotten).toEqual([]);
    broker.setServers(b, ['x']);
    expect(forgotten.sort()).toEqual(['https://z.example/', 'y']);
    broker.leave(a);
    expect(forgotten).toHaveLength(2);
    broker.leave(b);
    expect(forgotten).toContain('x');
  });
});

describe('a pool change', () => {
  it('should leave the same index (members per budget) as a broker built afresh with the same pools (property)', () => {
    const universe = ['a', 'b', 'c', 'd', 'e', 'f'];
    const change = fc.record({ member: fc.nat({ max: 3 }), servers: fc.subarray(universe) });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 30 }), (changes) => {
        const broker = new SlotBroker<string>({ coordinator: localSlotCoordinator() });
        const members = [0, 1, 2, 3].map(() => broker.join(new PullQueue<string>((x, y) => x.localeCompare(y)), () => undefined));
        const pools: string[][] = [[], [], [], []];
        for (const { member, servers } of changes) {
          broker.setServers(members[member] as never, servers);
          pools[member] = servers;
          const fresh = new SlotBroker<string>({ coordinator: localSlotCoordinator() });
          const again = pools.map((pool) => {
            const joined = fresh.join(new PullQueue<string>((x, y) => x.localeCompare(y)), () => undefined);
            fresh.setServers(joined, pool);
            return joined;
          });
          const view = (b: SlotBroker<string>, ms: readonly unknown[]) =>
            Object.fromEntries([...b.budgets()].sort().map((budget) => [budget, b.membersOf(budget).map((m) => ms.indexOf(m)).sort()]));
          expect(view(broker, members)).toEqual(view(fresh, again));
        }
      }),
      { numRuns: 300 },
    );
  });
});
