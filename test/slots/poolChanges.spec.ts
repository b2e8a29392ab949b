import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { SchedulerLike } from 'rxjs';
import { createTaskManager, type TaskManager } from '../../src/index.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { SlotBroker } from '../../src/slots/slotBroker.js';
import { normalizeServerKey } from '../../src/slots/serverKey.js';
import type { SlotCoordinator } from '../../src/slots/slotCoordinator.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import { bidFor } from '../../src/slots/bids.js';
import { BrokerIndex } from '../../src/slots/brokerIndex.js';
import { type Bid, BrokerMember, type BudgetClass, type ServerEntry } from '../../src/slots/brokerMember.js';
import { bidHeap } from '../../src/slots/serverChoice.js';
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

describe('a member that leaves a budget of its class, or the broker', () => {
  /** Members ranked by their heads; every server has one slot, taken from outside at first. */
  function brokerWithFullServers(servers: readonly string[]) {
    const coordinator = localSlotCoordinator({ defaultLimit: 1 });
    for (const server of servers) coordinator.tryAcquire(normalizeServerKey(server));
    const broker = new SlotBroker<string>({ coordinator, compare: (x, y) => x.localeCompare(y) });
    const starts: string[] = [];
    const member = (items: string[], pool: string[]) => {
      const queue = new PullQueue<string>((x, y) => x.localeCompare(y));
      const joined = broker.join(queue, (item, lease) => starts.push(`${item}@${lease.server}`));
      queue.connect((item) => {
        const lease = joined.pending;
        joined.pending = undefined;
        if (lease !== undefined) joined.start(item, lease);
      });
      broker.setServers(joined, pool);
      for (const item of items) queue.push(item);
      return joined;
    };
    const free = (server: string) => coordinator.release(normalizeServerKey(server));
    return { broker, member, free, starts };
  }

  it('should pass over a member whose pool left the budget, though its head ranks best in the class', () => {
    const { broker, member, free, starts } = brokerWithFullServers(['x', 'y']);
    const a = member(['a1'], ['x', 'y']);
    member(['b1'], ['x', 'y']);
    member(['c1'], ['x', 'y']);
    // 'a' still draws on x, with the others: it stays in their class, absent from y.
    broker.setServers(a, ['x']);
    free('y');
    expect(starts).toEqual(['b1@y']);
    free('x');
    expect(starts).toEqual(['b1@y', 'a1@x']);
  });

  it('should not start the head of a member that left the broker, whatever its bid', () => {
    const { broker, member, free, starts } = brokerWithFullServers(['x']);
    const a = member(['a1'], ['x']);
    member(['b1'], ['x']);
    member(['c1'], ['x']);
    // Its queue is still connected (serverSlots disconnects it after leaving).
    broker.leave(a);
    free('x');
    expect(starts).toEqual(['b1@x']);
  });
});

describe('a pool change', () => {
  it('should leave the same index (members per budget) as a broker built afresh with the same pools (property)', () => {
    const universe = ['a', 'b', 'c', 'd', 'e', 'f'];
    // A member leaves the broker (a pipeline unsubscribed), or changes its pool (joining again if it left).
    const change = fc.record({ member: fc.nat({ max: 3 }), servers: fc.oneof(fc.subarray(universe), fc.constant(universe)), leaves: fc.boolean() });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 30 }), (changes) => {
        const broker = new SlotBroker<string>({ coordinator: localSlotCoordinator(), compare: (x, y) => x.localeCompare(y) });
        const join = () => broker.join(new PullQueue<string>((x, y) => x.localeCompare(y)), () => undefined);
        const members: (ReturnType<typeof join> | undefined)[] = [0, 1, 2, 3].map(join);
        const pools: string[][] = [[], [], [], []];
        for (const { member, servers, leaves } of changes) {
          const joined = members[member];
          if (leaves && joined !== undefined) {
            broker.leave(joined);
            members[member] = undefined;
            pools[member] = [];
          } else {
            broker.setServers((members[member] = joined ?? join()), servers);
            pools[member] = servers;
          }
          const fresh = new SlotBroker<string>({ coordinator: localSlotCoordinator() });
          const again = pools.map((pool, i) => {
            if (members[i] === undefined) return undefined;
            const twin = fresh.join(new PullQueue<string>((x, y) => x.localeCompare(y)), () => undefined);
            fresh.setServers(twin, pool);
            return twin;
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

// The broker's index, driven directly: several changes may come before one refresh, as when a
// manager opens providers or a start changes pools. After each refresh the index must say what a
// fresh one says, and the rankings must hold a live bid of every waiting member of their class and
// none of any other (a stale bid that looked live would start a task on a budget its pool left).
describe('the broker index updated in place', () => {
  type Op = { kind: 'set'; slot: number; servers: string[] } | { kind: 'leave'; slot: number } | { kind: 'refresh' };
  const universe = ['a', 'b', 'c', 'd', 'e', 'f'];
  const SLOTS = 8;
  // Pools overlap much (classes of several members), and move between a few shapes: a member
  // leaves part of a class and joins it again, a class of one grows, budgets of a class split.
  const pool: fc.Arbitrary<string[]> = fc.oneof(
    { weight: 8, arbitrary: fc.constant(universe) },
    { weight: 4, arbitrary: fc.constant(universe.slice(0, 4)) },
    { weight: 1, arbitrary: fc.constant(universe.slice(2)) },
    { weight: 1, arbitrary: fc.constant(['a'] as string[]) },
    { weight: 1, arbitrary: fc.subarray(universe) },
    // 'a#2' is another server of budget 'a': the members of 'a' no longer share one entry there.
    { weight: 1, arbitrary: fc.constant(['a#2', ...universe.slice(1)] as string[]) },
    { weight: 1, arbitrary: fc.constant(['a', 'a#2', 'b'] as string[]) },
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), slot: fc.nat({ max: SLOTS - 1 }), servers: pool }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave' as const), slot: fc.nat({ max: SLOTS - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('refresh' as const) }) },
  );

  /** A member whose queue holds `head` (or nothing), always connected. */
  const memberOf = (id: number, head: string | undefined): BrokerMember<string> => {
    const queue = { size: head === undefined ? 0 : 1, connected: true, peek: () => head, pull: () => false, watch: () => () => undefined };
    return new BrokerMember<string>(id, queue, () => undefined);
  };
  const entries = (servers: readonly string[]): ServerEntry[] => servers.map((server) => ({ server, key: server, budget: server.split('#')[0] as string, weight: 1 }));
  const live = (bid: Bid<string>): boolean => bid.head === bid.member.bidHead && bid.gen === bid.member.bidGen && bid.member.hasWaiting;

  /** What the broker does with the members a refresh returns (SlotBroker #bid). */
  function offer(members: Iterable<BrokerMember<string>> | undefined): void {
    for (const member of members ?? []) {
      if (!member.hasWaiting || !member.bids) continue;
      const head = member.queue.peek() as string;
      if (head === member.bidHead) continue;
      member.bidHead = head;
      const bid = bidFor(member, head, false);
      for (const group of member.classes) group.bids?.add(bid);
    }
  }

  function check(index: BrokerIndex<string>, slots: readonly (BrokerMember<string> | undefined)[], pools: readonly string[][], ranked: boolean): void {
    const fresh = new BrokerIndex<string>(() => bidHeap(ranked ? (x: string, y: string) => x.localeCompare(y) : undefined));
    const again = slots.map((member, slot) => {
      if (member === undefined) return undefined;
      const twin = memberOf(slot + 100, member.queue.peek());
      twin.servers = entries(pools[slot] as string[]);
      fresh.members.add(twin);
      return twin;
    });
    fresh.refresh();
    const slotOf = (ms: readonly (BrokerMember<string> | undefined)[]) => (m: BrokerMember<string>) => ms.indexOf(m);
    const view = (ix: BrokerIndex<string>, ms: readonly (BrokerMember<string> | undefined)[]) =>
      Object.fromEntries(
        [...ix.budgets()].sort().map((budget) => {
          const group = ix.classOf(budget) as BudgetClass<string>;
          const absent = group.absent?.get(budget);
          // The members of a budget, as listed and as its class (less its absent members) says.
          const listed = (ix.membersOf(budget) ?? []).map(slotOf(ms)).sort();
          const byClass = group.members.filter((m) => absent?.has(m) !== true).map(slotOf(ms)).sort();
          return [budget, { listed, byClass, common: ix.commonEntry(budget)?.server }];
        }),
      );
    const expected = view(fresh, again);
    for (const budget of Object.keys(expected)) (expected[budget] as { byClass: number[] }).byClass = (expected[budget] as { listed: number[] }).listed;
    expect(view(index, slots)).toEqual(expected);
    const classes = new Set([...index.budgets()].map((budget) => index.classOf(budget) as BudgetClass<string>));
    for (const group of classes) {
      expect(group.budgets).toBe([...index.budgets()].filter((budget) => index.classOf(budget) === group).length);
      expect(group.bids !== undefined).toBe(ranked && group.members.length > 1);
      for (const member of group.members) {
        expect(member.classes).toContain(group);
        // A member of a class draws on one of its budgets at least.
        expect([...index.budgets()].some((budget) => index.classOf(budget) === group && index.membersOf(budget)?.includes(member))).toBe(true);
      }
      // Every waiting member bids in its class's ranking; no live bid there is of another member.
      const bids = group.bids?.toArray() ?? [];
      for (const member of group.members) if (group.bids !== undefined && member.hasWaiting) expect(bids.some((bid) => bid.member === member && live(bid))).toBe(true);
      for (const bid of bids) if (live(bid)) expect(group.members).toContain(bid.member);
    }
    for (const member of index.members) {
      for (const group of member.classes) expect(classes.has(group)).toBe(true);
      expect(member.bids).toBe(member.classes.some((group) => group.bids !== undefined));
    }
  }

  it('should cost what a change reaches, not what the index holds: no ranking made, only the changed member offered', () => {
    let rankings = 0;
    const index = new BrokerIndex<string>(() => (rankings++, bidHeap((x: string, y: string) => x.localeCompare(y))));
    const shared = Array.from({ length: 16 }, (_, i) => `s${i}`);
    const members = Array.from({ length: 1000 }, (_, id) => memberOf(id, 'h1'));
    for (const member of members) {
      member.servers = entries(shared);
      index.members.add(member);
    }
    offer(index.refresh());
    const first = members[0] as BrokerMember<string>;
    const shared0 = index.classOf('s0');
    const made = rankings;
    const change = (member: BrokerMember<string>, servers: readonly string[]) => {
      member.servers = entries(servers);
      index.changed(member);
      const offered = [...(index.refresh() ?? [])];
      offer(offered);
      return offered;
    };
    // A partial leave and rejoin, a budget of its own and back, a member joining, and one leaving.
    expect(change(first, shared.slice(0, 8))).toEqual([first]);
    expect(change(first, shared)).toEqual([first]);
    expect(change(first, [...shared, 'own'])).toEqual([first]);
    expect(change(first, shared)).toEqual([first]);
    const added = memberOf(1000, 'h2');
    index.members.add(added);
    expect(change(added, shared)).toEqual([added]);
    expect([...(index.leave(added) ?? [])]).toEqual([]);
    expect(rankings).toBe(made);
    expect(index.classOf('s0')).toBe(shared0);
    expect(index.classOf('s15')).toBe(shared0);
    check(index, members, members.map(() => shared), true);
  });

  it.each([{ ranked: true }, { ranked: false }])('should say what a fresh index says after any changes, bids included (ranked: $ranked, property)', ({ ranked }) => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60, size: 'max' }), fc.array(fc.option(fc.constantFrom('h1', 'h2', 'h3')), { minLength: SLOTS, maxLength: SLOTS }), (ops, heads) => {
        const index = new BrokerIndex<string>(() => bidHeap(ranked ? (x: string, y: string) => x.localeCompare(y) : undefined));
        const slots: (BrokerMember<string> | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
        const pools: string[][] = Array.from({ length: SLOTS }, () => []);
        let nextId = 0;
        for (const step of [...ops, { kind: 'refresh' } as const]) {
          if (step.kind === 'refresh') {
            offer(index.refresh());
            check(index, slots, pools, ranked);
          } else if (step.kind === 'leave') {
            const member = slots[step.slot];
            if (member === undefined) continue;
            offer(index.leave(member));
            slots[step.slot] = undefined;
            pools[step.slot] = [];
          } else {
            let member = slots[step.slot];
            if (member === undefined) {
              // A member joining: a new id, as the broker gives.
              member = slots[step.slot] = memberOf(nextId++, heads[step.slot] ?? undefined);
              index.members.add(member);
            }
            member.servers = entries(step.servers);
            pools[step.slot] = step.servers;
            index.changed(member);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
