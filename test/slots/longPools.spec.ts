import fc from 'fast-check';
import { NEVER, Subject, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { MinTree } from '../../src/internal/minTree.js';
import { serverSlots } from '../../src/operators/serverSlots.js';
import { BrokerMember, type ServerEntry } from '../../src/slots/brokerMember.js';
import { COST_CANDIDATES, PoolLoads, SCAN_LIMIT } from '../../src/slots/choice/poolLoads.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { leastLoaded } from '../../src/slots/serverChoice.js';
import type { SlotCoordinator } from '../../src/slots/slotCoordinator.js';
import { forwarding } from '../helpers/coordinators.js';

// A start on a long pool costs O(log n) through an index of its budgets' loads; it must choose
// exactly as the scan of a short pool does (lowest in use / limit, ties in rotation).

describe('MinTree', () => {
  it('should answer min, firstAtMost and nextAtMost as a scan of the array does (property)', () => {
    const op = fc.record({ index: fc.nat(), value: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(Infinity)), from: fc.nat(), bound: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 60 }), (size, ops) => {
        const tree = new MinTree(size);
        const values = new Array<number>(size).fill(Infinity);
        for (const { index, value, from, bound } of ops) {
          tree.set(index % size, value);
          values[index % size] = value;
          const start = from % size;
          const first = values.findIndex((v, i) => i >= start && v <= bound);
          const wrapped = first >= 0 ? first : values.findIndex((v) => v <= bound);
          expect(tree.min).toBe(Math.min(...values));
          expect(tree.firstAtMost(start, bound)).toBe(first);
          expect(tree.nextAtMost(start, bound)).toBe(wrapped);
        }
      }),
    );
  });
});

/** A member with one server per budget, its shares as the broker's index builds them. */
function memberOver(coordinator: SlotCoordinator, servers: readonly string[]): BrokerMember<string> {
  const member = new BrokerMember<string>(0, undefined as never, () => undefined);
  member.servers = servers.map((server) => ({ server, key: server, budget: coordinator.budgetOf(server), weight: 1 }));
  for (const entry of member.servers) member.shares.set(entry.budget, { entries: [entry], cursor: 0, at: 0 });
  return member;
}

describe('a long pool', () => {
  it('should choose exactly as the scan does, through weighted starts, starts of other pools, releases, limit changes and held budgets (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('start' as const), weight: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })) }),
      // A budget held for another item's heavy head (or no longer held): no start may take it.
      fc.record({ kind: fc.constant('hold' as const), server: fc.nat() }),
      fc.record({ kind: fc.constant('release' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('limit' as const), server: fc.nat(), limit: fc.integer({ min: 0, max: 4 }) }),
      // Another pool's start on a shared server: the index hears nothing of it.
      fc.record({ kind: fc.constant('other' as const), server: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: SCAN_LIMIT + 1, maxLength: 3 * SCAN_LIMIT }), fc.array(step, { maxLength: 200 }), (limits, steps) => {
        const servers = limits.map((_, i) => `s${i}`);
        const coordinator = localSlotCoordinator({ limits: Object.fromEntries(servers.map((s, i) => [s, limits[i] as number])) });
        const scanned = memberOver(coordinator, servers);
        const loads = new PoolLoads(memberOver(coordinator, servers).shares, coordinator);
        // As the broker does: every `room` reaches the index.
        coordinator.changes$.subscribe((change) => change.type === 'room' && loads.touch(change.budget));
        const held: Array<readonly [string, number]> = [];
        const reserved = new Set<string>();
        for (const s of steps) {
          if (s.kind === 'start') {
            const holds = reserved.size > 0 ? reserved : undefined;
            const expected = leastLoaded(scanned, coordinator, s.weight, holds);
            const chosen = loads.choose(s.weight, holds);
            expect(chosen?.key).toBe(expected?.key);
            if (chosen === undefined || !coordinator.tryAcquire(chosen.key, s.weight)) continue;
            loads.started(chosen);
            held.push([chosen.key, s.weight]);
          } else if (s.kind === 'hold') {
            const budget = coordinator.budgetOf(servers[s.server % servers.length] as string);
            if (!reserved.delete(budget)) reserved.add(budget);
          } else if (s.kind === 'release' && held.length > 0) {
            const [key, weight] = held.splice(s.which % held.length, 1)[0] as readonly [string, number];
            coordinator.release(key, weight);
          } else if (s.kind === 'other') {
            const key = servers[s.server % servers.length] as string;
            if (coordinator.tryAcquire(key)) held.push([key, 1]);
          } else if (s.kind === 'limit') {
            coordinator.setLimit(servers[s.server % servers.length] as string, s.limit);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('should skip the budgets without room for a weight or held for another head, and offer them again to the next start', () => {
    const servers = Array.from({ length: SCAN_LIMIT + 8 }, (_, i) => `s${i}`);
    const coordinator = localSlotCoordinator({ defaultLimit: 2 });
    const loads = new PoolLoads(memberOver(coordinator, servers).shares, coordinator);
    coordinator.changes$.subscribe((change) => change.type === 'room' && loads.touch(change.budget));
    // Another pool's start on every server: each has room for 1, none for 2 (the index is stale-low).
    for (const server of servers) expect(coordinator.tryAcquire(server)).toBe(true);
    expect(loads.choose(2)).toBeUndefined();
    // The budgets set aside for weight 2 are back for weight 1; a held one is skipped.
    const first = loads.choose(1, new Set(['s0', 's1'])) as ServerEntry;
    expect(first.key).toBe('s2');
    expect(coordinator.tryAcquire(first.key)).toBe(true);
    loads.started(first);
    expect(loads.choose(1)?.key).toBe('s3');
    coordinator.release('s7');
    expect(loads.choose(2)?.key).toBe('s7');
  });

  it('should start one task per server of a 100-server pool, then the next on the server that frees', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const servers = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const coordinator = localSlotCoordinator({ defaultLimit: 1 });
    const starts: string[] = [];
    scheduler.run(({ hot }) => {
      const items = new Subject<number>();
      items.pipe(serverSlots({ servers, coordinator, work: (item, lease) => (starts.push(`${item}:${lease.server}`), item === 42 ? timer(5) : NEVER) })).subscribe();
      hot('-a').subscribe(() => {
        for (let i = 0; i < 101; i++) items.next(i);
      });
    });
    expect(new Set(starts.slice(0, 100).map((s) => s.split(':')[1])).size).toBe(100);
    expect(starts[100]).toBe(`100:${starts[42]?.split(':')[1]}`);
  });

  it('should start a heavy item of a 40-server pool on the first server with room for its weight', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const servers = Array.from({ length: SCAN_LIMIT + 8 }, (_, i) => `s${i}`);
    const coordinator = localSlotCoordinator({ defaultLimit: 2 });
    const starts: string[] = [];
    scheduler.run(({ hot }) => {
      const items = new Subject<number>();
      const work = (item: number, lease: { server: string; weight: number }) => (starts.push(`${item}:${lease.server}:${lease.weight}`), item === 7 ? timer(5) : NEVER);
      items.pipe(serverSlots({ servers, coordinator, weight: (item) => (item === 100 ? 2 : 1), work })).subscribe();
      hot('-a').subscribe(() => {
        for (let i = 0; i < servers.length; i++) items.next(i);
        items.next(100);
      });
    });
    // One light item per server: none has room for 2 until item 7's server frees.
    expect(starts.length).toBe(servers.length + 1);
    expect(starts[servers.length]).toBe(`100:${starts[7]?.split(':')[1]}:2`);
    expect(coordinator.budget(starts[7]?.split(':')[1] as string).inUse).toBe(2);
  });

  it('should choose by serverCost among the next budgets with room from the cursor, and skip a full one', () => {
    const servers = Array.from({ length: 3 * COST_CANDIDATES }, (_, i) => `s${i}`);
    const inner = localSlotCoordinator({ defaultLimit: 1 });
    const costs = new Map(servers.map((s, i) => [s, 100 - (i % COST_CANDIDATES)]));
    const coordinator = forwarding(inner, { serverCost: (key) => costs.get(key) as number });
    const loads = new PoolLoads(memberOver(coordinator, servers).shares, coordinator);
    // The cheapest of the first window is its last server; once taken, the next start looks from there on.
    const first = loads.choose() as ServerEntry;
    expect(first.key).toBe(`s${COST_CANDIDATES - 1}`);
    expect(coordinator.tryAcquire(first.key)).toBe(true);
    loads.started(first);
    expect(loads.choose()?.key).toBe(`s${2 * COST_CANDIDATES - 1}`);
  });
});
