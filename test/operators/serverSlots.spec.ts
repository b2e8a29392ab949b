import fc from 'fast-check';
import { defer, map, merge, mergeMap, NEVER, Observable, type Observer, of, type OperatorFunction, Subject, type Subscribable, take, tap, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { prioritySlots } from '../../src/operators/prioritySlots.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import { serverSlots, slotsOver } from '../../src/operators/serverSlots.js';
import { SlotBroker, type SlotLease } from '../../src/slots/slotBroker.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import type { SlotCoordinator } from '../../src/slots/slotCoordinator.js';

type Work<T> = (item: T, lease: SlotLease) => Observable<unknown>;

/**
 * Wraps work so that every start is recorded as `item@frame:server`, and checks at every start that
 * the work running on the budget, counted here per server key, is within the budget's limit.
 */
function bench<T>(coordinator: SlotCoordinator, scheduler: TestScheduler, name: (item: T) => string = String) {
  const starts: string[] = [];
  const violations: string[] = [];
  const running = new Map<string, number>(); // by server key
  const runningIn = (budget: string): number => {
    let sum = 0;
    for (const [key, n] of running) if (coordinator.budgetOf(key) === budget) sum += n;
    return sum;
  };
  const wrap =
    (body: Work<T>): Work<T> =>
    (item, lease) =>
      defer(() => {
        running.set(lease.key, (running.get(lease.key) ?? 0) + 1);
        const budget = coordinator.budgetOf(lease.key);
        const { limit } = coordinator.budget(budget);
        const used = runningIn(budget);
        if (used > limit) violations.push(`${name(item)} started with ${used}/${limit} on ${budget}`);
        starts.push(`${name(item)}@${scheduler.now()}:${lease.server}`);
        // tap's callbacks run before the end reaches serverSlots, so the count drops before the release.
        const finish = (): void => {
          const left = (running.get(lease.key) ?? 0) - 1;
          if (left < 0) violations.push(`${name(item)} finished twice on ${lease.key}`);
          running.set(lease.key, left);
        };
        return body(item, lease).pipe(tap({ complete: finish, error: finish, unsubscribe: finish }));
      });
  return { starts, violations, wrap };
}

/** A coordinator that counts successful acquisitions and releases per server key. */
function counting(inner: SlotCoordinator) {
  const acquired = new Map<string, number>();
  const released = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  const coordinator: SlotCoordinator = {
    budgetOf: (key) => inner.budgetOf(key),
    budget: (key) => inner.budget(key),
    tryAcquire: (key) => {
      const ok = inner.tryAcquire(key);
      if (ok) bump(acquired, key);
      return ok;
    },
    release: (key) => {
      bump(released, key);
      inner.release(key);
    },
    setLimit: (key, limit) => inner.setLimit(key, limit),
    removeLimit: (key) => inner.removeLimit(key),
    limits: () => inner.limits(),
    changes$: inner.changes$,
    close: () => inner.close(),
  };
  return { coordinator, acquired, released };
}

interface Job {
  readonly id: string;
  readonly priority: number;
  readonly seq: number;
}
let jobSeq = 0;
const job = (id: string, priority: number): Job => ({ id, priority, seq: jobSeq++ });
const byPriority = (a: Job, b: Job): number => b.priority - a.priority || a.seq - b.seq;

describe('serverSlots', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('the rxjs operator checklist', () => {
    it('should not complete or error with a never source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const subs = '       ^';
        const expected = '   -';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], work: () => of(1) }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should complete with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs = '       (^!)';
        const expected = '   |';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], work: () => of(1) }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should emit the values of the work of one item', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a|');
        const inner = cold(' --x|');
        const expected = '   ---a|';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], work: (item) => inner.pipe(map(() => item)) }))).toBe(expected);
      });
    });

    it('should complete only when the source completed and every started item finished', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-ab|');
        const inner = cold(' -----x|');
        const expected = '   ------a-----b|';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], work: (item) => inner.pipe(map(() => item)) }))).toBe(expected);
      });
    });

    it('should pass a source error through and unsubscribe running work', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const coordinator = localSlotCoordinator();
        const source = hot('-a-#', undefined, new Error('source failed'));
        const inner = cold(' -----x|');
        const innerSubs = '  -^-!';
        const expected = '   ---#';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], coordinator, work: () => inner }))).toBe(
          expected,
          undefined,
          new Error('source failed'),
        );
        expectSubscriptions(inner.subscriptions).toBe(innerSubs);
      });
    });

    it('should pass an error of the work through and unsubscribe the other running work', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const coordinator = localSlotCoordinator({ defaultLimit: 2 });
        const source = hot('-ab-');
        const failing = cold('--#', undefined, new Error('work failed'));
        const healthy = cold('------x|');
        const expected = '   ---#';

        const work = (item: string): Observable<string> => (item === 'a' ? failing : healthy);
        expectObservable(source.pipe(serverSlots({ servers: ['s'], coordinator, work }))).toBe(expected, undefined, new Error('work failed'));
        expectSubscriptions(failing.subscriptions).toBe('-^-!');
        expectSubscriptions(healthy.subscriptions).toBe('--^!');
      });
    });

    it('should mirror never-ending work without completing', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a|');
        const inner = cold(' -x-y-z-');
        const expected = '   --x-y-z-';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], work: () => inner }))).toBe(expected);
      });
    });

    it('should allow unsubscribing early and explicitly, from the source and the work', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c|');
        const inner = cold(' -x-y-z|');
        const unsub = '      ----!';
        const sourceSubs = ' ^---!';
        const innerSubs = '  -^--!';
        const expected = '   --x-';

        expectObservable(source.pipe(serverSlots({ servers: ['s'], work: () => inner })), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
        expectSubscriptions(inner.subscriptions).toBe(innerSubs);
      });
    });

    it('should not break unsubscription chains when the result is unsubscribed explicitly', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c|');
        const inner = cold(' -x-y-z|');
        const unsub = '      ----!';
        const sourceSubs = ' ^---!';
        const expected = '   --x-';

        const result = source.pipe(
          map((x) => x),
          serverSlots({ servers: ['s'], work: () => inner }),
          map((x) => x),
        );

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('should error when the work callback throws, and give the slot back', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 2 });
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b|');
        const subs = '       ^--!';
        const expected = '   ---#';
        const work = (item: string): Observable<string> => {
          if (item === 'b') throw new Error('cannot start');
          return NEVER;
        };

        expectObservable(source.pipe(serverSlots({ servers: ['s'], coordinator, work }))).toBe(expected, undefined, new Error('cannot start'));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });

      expect(coordinator.budget('s').inUse).toBe(0);
    });

    it('should run synchronous work for a synchronous source, in order, one slot at a time', () => {
      const coordinator = localSlotCoordinator();
      const out: number[] = [];
      let completed = false;
      const items = Array.from({ length: 200 }, (_, i) => i);

      of(...items)
        .pipe(serverSlots({ servers: ['s'], coordinator, work: (i) => of(i) }))
        .subscribe({ next: (i) => out.push(i), complete: () => (completed = true) });

      expect(out).toEqual(items);
      expect(completed).toBe(true);
      expect(coordinator.budget('s').inUse).toBe(0);
    });
  });

  describe('concurrency', () => {
    it('should run one item at a time with concurrency=1', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const coordinator = localSlotCoordinator({ defaultLimit: 1 });
        const source = hot('-abc-------|');
        const inner = cold(' ---x|');
        const innerSubs = [' -^---!', '-----^---!', '---------^---!'];
        const expected = '   ----a---b---c|';

        const result = source.pipe(serverSlots({ servers: ['s'], coordinator, work: (item) => inner.pipe(map(() => item)) }));
        expectObservable(result).toBe(expected);
        expectSubscriptions(inner.subscriptions).toBe(innerSubs);
      });
    });

    it('should run two items at a time with concurrency=2', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const coordinator = localSlotCoordinator({ defaultLimit: 2 });
        const source = hot('-abc--|');
        const inner = cold(' ---x|');
        const innerSubs = [' -^---!', '--^---!', '-----^---!'];
        const expected = '   ----ab--c|';

        const result = source.pipe(serverSlots({ servers: ['s'], coordinator, work: (item) => inner.pipe(map(() => item)) }));
        expectObservable(result).toBe(expected);
        expectSubscriptions(inner.subscriptions).toBe(innerSubs);
      });
    });

    it('should take each server limit from the coordinator, per normalised server key', () => {
      const coordinator = localSlotCoordinator({ limits: { 'https://a.example.com/?x=1': 2, 'https://b.example.com': 1 } });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const source = hot('-(abcde)');
        const inner = cold(' ----|');
        const servers = ['https://a.example.com', 'https://b.example.com'];

        source.pipe(serverSlots({ servers, coordinator, work: wrap(() => inner) })).subscribe();
      });

      expect(starts).toEqual([
        'a@1:https://a.example.com',
        'b@1:https://b.example.com',
        'c@1:https://a.example.com',
        'd@5:https://a.example.com',
        'e@5:https://b.example.com',
      ]);
      expect(violations).toEqual([]);
    });

    it('should never exceed a limit at any instant, across pipelines, prefixes and random timings (property)', () => {
      const arrival = fc.record({
        pipeline: fc.integer({ min: 0, max: 1 }),
        at: fc.integer({ min: 0, max: 20 }),
        duration: fc.integer({ min: 1, max: 6 }),
      });
      const universe = ['https://h/api/v1', 'https://h/api/v2', 'https://h/other', 'gpu-1'];
      const pool = fc.subarray(universe, { minLength: 1 });

      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 2 }),
          pool,
          pool,
          fc.array(arrival, { minLength: 1, maxLength: 25 }),
          (prefixLimit, gpuLimit, defaultLimit, poolA, poolB, arrivals) => {
            const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
            const counted = counting(localSlotCoordinator({ defaultLimit, limits: { 'https://h/api': prefixLimit, 'gpu-1': gpuLimit } }));
            const broker = new SlotBroker<string>({ coordinator: counted.coordinator });
            const { starts, violations, wrap } = bench<string>(counted.coordinator, scheduler);
            const done: string[] = [];
            scheduler.run(() => {
              [poolA, poolB].forEach((servers, p) => {
                const mine = arrivals.map((a, i) => ({ ...a, id: `i${i}` })).filter((a) => a.pipeline === p);
                const source = merge(...mine.map((a) => timer(a.at).pipe(map(() => a.id))));
                const duration = new Map(mine.map((a) => [a.id, a.duration]));
                source
                  .pipe(serverSlots({ servers, broker, work: wrap((id) => timer(duration.get(id) as number).pipe(map(() => id))) }))
                  .subscribe((id) => done.push(String(id)));
              });
            });

            expect(violations).toEqual([]);
            expect(starts).toHaveLength(arrivals.length);
            expect(done).toHaveLength(arrivals.length);
            expect(counted.released).toEqual(counted.acquired);
            for (const key of counted.acquired.keys()) {
              expect(counted.coordinator.budget(counted.coordinator.budgetOf(key)).inUse).toBe(0);
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('budgets', () => {
    it('should treat a server listed by two pipelines as one budget', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const broker = new SlotBroker<string>({ coordinator });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const inner = cold('---|');
        const work = wrap(() => inner);
        // The same server, spelt differently: the key drops the query and adds the root path.
        hot('-a-b').pipe(serverSlots({ servers: ['https://s.example.com'], broker, work })).subscribe();
        hot('-x-y').pipe(serverSlots({ servers: ['https://s.example.com/?via=b'], broker, work })).subscribe();
      });

      expect(starts).toEqual([
        'a@1:https://s.example.com',
        'x@4:https://s.example.com/?via=b',
        'b@7:https://s.example.com',
        'y@10:https://s.example.com/?via=b',
      ]);
      expect(violations).toEqual([]);
    });

    it('should share one prefix limit between the servers under it', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 5, limits: { 'https://h/api': 1 } });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const source = hot('-(abc)');
        const servers = ['https://h/api/v1', 'https://h/api/v2'];

        source.pipe(serverSlots({ servers, coordinator, work: wrap(() => cold('---|')) })).subscribe();
      });

      expect(starts.map((s) => s.split(':')[0])).toEqual(['a@1', 'b@4', 'c@7']);
      expect(new Set(starts.map((s) => s.slice(s.indexOf(':') + 1)))).toEqual(new Set(['https://h/api/v1', 'https://h/api/v2']));
      expect(violations).toEqual([]);
    });

    it('should not let a prefix cover a longer host name or path segment', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1, limits: { 'http://b': 1, 'https://h/api': 1 } });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const source = hot('-(abcd)');
        const servers = ['http://b', 'http://bad.example', 'https://h/api', 'https://h/api2'];

        source.pipe(serverSlots({ servers, coordinator, work: wrap(() => cold('---|')) })).subscribe();
      });

      // Four budgets of one slot: all four start at once.
      expect(starts).toEqual(['a@1:http://b', 'b@1:http://bad.example', 'c@1:https://h/api', 'd@1:https://h/api2']);
    });

    it('should not multiply a budget by duplicate pool entries', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const source = hot('-(abc)');
        const servers = ['https://h/x?a=1', 'https://h/x#top', 'HTTPS://H:443/x', 'https://h/x?a=1'];

        source.pipe(serverSlots({ servers, coordinator, work: wrap(() => cold('---|')) })).subscribe();
      });

      expect(starts.map((s) => s.split(':')[0])).toEqual(['a@1', 'b@4', 'c@7']);
      expect(violations).toEqual([]);
    });

    it('should not multiply a budget by a pool stream that repeats its servers', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const source = hot(' -(abc)');
        const servers = cold('a-a-a-a', { a: ['s', 's'] });

        source.pipe(serverSlots({ servers, coordinator, work: wrap(() => cold('----|')) })).subscribe();
      });

      expect(starts).toEqual(['a@1:s', 'b@5:s', 'c@9:s']);
    });
  });

  describe('arbitration between pipelines', () => {
    it('should give a freed slot to the highest-priority waiting item of any pipeline', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const broker = new SlotBroker<Job>({ coordinator, compare: byPriority });
      const { starts, wrap } = bench<Job>(coordinator, testScheduler, (j) => j.id);
      testScheduler.run(({ cold, hot }) => {
        const jobs = { x: job('x', 1), l: job('l', 2), h: job('h', 9) };
        const work = wrap(() => cold('---|'));
        const queueA = new PullQueue<Job>(byPriority);
        const queueB = new PullQueue<Job>(byPriority);

        hot('-xl---', jobs).pipe(prioritySlots({ queue: queueA, servers: ['s'], broker, work })).subscribe();
        hot('---h--', jobs).pipe(prioritySlots({ queue: queueB, servers: ['s'], broker, work })).subscribe();
      });

      expect(starts).toEqual(['x@1:s', 'h@4:s', 'l@7:s']);
    });

    it('should keep the first pipeline first when its waiting item is the most urgent', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const broker = new SlotBroker<Job>({ coordinator, compare: byPriority });
      const { starts, wrap } = bench<Job>(coordinator, testScheduler, (j) => j.id);
      testScheduler.run(({ cold, hot }) => {
        const jobs = { x: job('x', 1), h: job('h', 5), u: job('u', 9) };
        const work = wrap(() => cold('---|'));
        const queueA = new PullQueue<Job>(byPriority);
        const queueB = new PullQueue<Job>(byPriority);

        hot('-x-u--', jobs).pipe(prioritySlots({ queue: queueA, servers: ['s'], broker, work })).subscribe();
        hot('--h---', jobs).pipe(prioritySlots({ queue: queueB, servers: ['s'], broker, work })).subscribe();
      });

      expect(starts).toEqual(['x@1:s', 'u@4:s', 'h@7:s']);
    });

    it('should start the items of a shared queue in its priority order as slots free', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<Job>(coordinator, testScheduler, (j) => j.id);
      testScheduler.run(({ cold, hot }) => {
        const jobs = { a: job('a', 1), b: job('b', 5), c: job('c', 3), d: job('d', 3) };
        const queue = new PullQueue<Job>(byPriority);

        hot('-(abcd)', jobs).pipe(prioritySlots({ queue, servers: ['s'], coordinator, work: wrap(() => cold('---|')) })).subscribe();
      });

      expect(starts).toEqual(['a@1:s', 'b@4:s', 'c@7:s', 'd@10:s']);
    });

    // Regression: a failed attempt used to undo the rotation, so the first pipeline took every
    // freed slot until its queue was empty (a, b, c, x, y, z).
    it('should serve pipelines in turn when the broker has no comparator', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const broker = new SlotBroker<string>({ coordinator });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const work = wrap(() => cold('---|'));

        hot('-(abc)').pipe(serverSlots({ servers: ['s'], broker, work })).subscribe();
        hot('-(xyz)').pipe(serverSlots({ servers: ['s'], broker, work })).subscribe();
      });

      expect(starts).toEqual(['a@1:s', 'x@4:s', 'b@7:s', 'y@10:s', 'c@13:s', 'z@16:s']);
    });

    it('should give the slots of an unsubscribed pipeline to the other pipeline at once', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const broker = new SlotBroker<string>({ coordinator });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const work = wrap(() => cold('-------|'));

        expectObservable(hot('-ab').pipe(serverSlots({ servers: ['s'], broker, work })), '---!').toBe('-');
        hot('--x').pipe(serverSlots({ servers: ['s'], broker, work })).subscribe();
      });

      expect(starts).toEqual(['a@1:s', 'x@3:s']);
      expect(coordinator.budget('s').inUse).toBe(0);
    });
  });

  describe('releasing slots', () => {
    const endings = [
      { ending: 'complete', inner: '--|', unsub: undefined },
      { ending: 'error', inner: '--#', unsub: undefined },
      { ending: 'unsubscribe', inner: '-----', unsub: '---!' },
    ] as const;

    for (const { ending, inner: innerMarbles, unsub } of endings) {
      it(`should release every slot exactly once on ${ending}`, () => {
        const { coordinator, acquired, released } = counting(localSlotCoordinator({ defaultLimit: 2 }));
        const inUse: number[] = [];
        coordinator.changes$.subscribe(() => inUse.push(coordinator.budget('s').inUse));
        testScheduler.run(({ cold, hot, expectObservable }) => {
          const inner = cold(innerMarbles);
          const result = hot('-(abc)').pipe(serverSlots({ servers: ['s'], coordinator, work: () => inner }));

          if (unsub === undefined) result.subscribe({ error: () => undefined });
          else expectObservable(result, unsub).toBe('-');
        });

        expect(acquired.get('s')).toBeGreaterThanOrEqual(2);
        expect(released.get('s')).toBe(acquired.get('s'));
        expect(coordinator.budget('s').inUse).toBe(0);
        expect(Math.min(...inUse)).toBeGreaterThanOrEqual(0);
      });
    }

    it('should not let a double release create room', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const changes: string[] = [];
      coordinator.changes$.subscribe((change) => changes.push(change.type));

      expect(coordinator.tryAcquire('s')).toBe(true);
      coordinator.release('s');
      coordinator.release('s');

      expect(changes).toEqual(['room']);
      expect(coordinator.budget('s').inUse).toBe(0);
      expect(coordinator.tryAcquire('s')).toBe(true);
      expect(coordinator.tryAcquire('s')).toBe(false);
    });

    it('should not let a release on another server of a prefix budget free a slot it never took', () => {
      const coordinator = localSlotCoordinator({ limits: { 'https://h/api': 1 } });

      expect(coordinator.tryAcquire('https://h/api/v1')).toBe(true);
      coordinator.release('https://h/api/v2');

      expect(coordinator.budget('https://h/api').inUse).toBe(1);
      expect(coordinator.tryAcquire('https://h/api/v2')).toBe(false);
    });

    it('should release the slot of work that completes, once, even when it is unsubscribed afterwards', () => {
      const { coordinator, acquired, released } = counting(localSlotCoordinator({ defaultLimit: 1 }));
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const inner = cold('-x|');
        expectObservable(hot('-a').pipe(serverSlots({ servers: ['s'], coordinator, work: () => inner })), '-----!').toBe('--x');
      });

      expect(acquired.get('s')).toBe(1);
      expect(released.get('s')).toBe(1);
    });
  });

  describe('server choice', () => {
    it('should choose the least loaded server (in use / limit)', () => {
      const coordinator = localSlotCoordinator({ limits: { A: 2, B: 4 } });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ hot }) => {
        hot('-(abcdefg)').pipe(serverSlots({ servers: ['A', 'B'], coordinator, work: wrap(() => NEVER) })).subscribe();
      });

      // A 0/2 = B 0/4 → A; B 0/4 < A 1/2 → B; B 1/4 < 1/2 → B; A 1/2 = B 2/4 → A (rotation); then B, B; g waits.
      expect(starts).toEqual(['a@1:A', 'b@1:B', 'c@1:B', 'd@1:A', 'e@1:B', 'f@1:B']);
      expect(violations).toEqual([]);
    });

    it('should rotate among equally loaded servers', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: Infinity });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ hot }) => {
        hot('-(abcdef)').pipe(serverSlots({ servers: ['A', 'B', 'C'], coordinator, work: wrap(() => NEVER) })).subscribe();
      });

      expect(starts).toEqual(['a@1:A', 'b@1:B', 'c@1:C', 'd@1:A', 'e@1:B', 'f@1:C']);
    });

    it('should skip a full server and use the one that has room', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const work = wrap((item) => cold(item === 'a' ? '------|' : '--|'));
        hot('-a-b---c').pipe(serverSlots({ servers: ['A', 'B'], coordinator, work })).subscribe();
      });

      expect(starts).toEqual(['a@1:A', 'b@3:B', 'c@7:B']);
    });
  });

  describe('pool as an Observable', () => {
    it('should start waiting items at once on a server added to the pool', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const servers = cold('a----b', { a: ['s1'], b: ['s1', 's2'] });
        hot('-xy-------').pipe(serverSlots({ servers, coordinator, work: wrap(() => cold('--------|')) })).subscribe();
      });

      expect(starts).toEqual(['x@1:s1', 'y@5:s2']);
    });

    it('should give no new work to a server removed from the pool, and let its running work finish', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const servers = cold('a--b', { a: ['s1', 's2'], b: ['s1'] });
        const inner = cold(' -----x|');
        const result = hot('-xyzw').pipe(serverSlots({ servers, coordinator, work: wrap((item) => inner.pipe(map(() => item))) }));

        expectObservable(result).toBe('------xy----z-----w');
      });

      expect(starts).toEqual(['x@1:s1', 'y@2:s2', 'z@7:s1', 'w@13:s1']);
    });

    it('should take no work before the pool has servers', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const servers = cold('a---b', { a: [], b: ['s'] });
        hot('-x').pipe(serverSlots({ servers, coordinator, work: wrap(() => NEVER) })).subscribe();
      });

      expect(starts).toEqual(['x@4:s']);
    });

    it('should error when the pool stream errors', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const servers = cold('a--#', { a: ['s'] }, new Error('pool failed'));
        const result = hot('-x').pipe(serverSlots({ servers, work: () => NEVER }));

        expectObservable(result).toBe('---#', undefined, new Error('pool failed'));
      });
    });
  });

  describe('changing limits', () => {
    it('should take nothing on a server with limit 0, and start waiting items at once when it is raised', () => {
      const coordinator = localSlotCoordinator({ limits: { s: 0 } });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        hot('-abc').pipe(serverSlots({ servers: ['s'], coordinator, work: wrap(() => cold('---|')) })).subscribe();
        cold('-----r').subscribe(() => coordinator.setLimit('s', 2));
      });

      expect(starts).toEqual(['a@5:s', 'b@5:s', 'c@8:s']);
    });

    it('should start a waiting item at once when a limit is raised from 1 to 2', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        hot('-ab').pipe(serverSlots({ servers: ['s'], coordinator, work: wrap(() => NEVER) })).subscribe();
        cold('----r').subscribe(() => coordinator.setLimit('s', 2));
      });

      expect(starts).toEqual(['a@1:s', 'b@4:s']);
    });

    it('should start waiting items when a new prefix limit gives their servers room', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 0 });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        hot('-abc').pipe(serverSlots({ servers: ['https://h/a', 'https://h/b'], coordinator, work: wrap(() => cold('---|')) })).subscribe();
        cold('----r').subscribe(() => coordinator.setLimit('https://h', 2));
      });

      expect(starts).toEqual(['a@4:https://h/a', 'b@4:https://h/b', 'c@7:https://h/a']);
      expect(violations).toEqual([]);
    });

    it('should never over-admit after a limit is lowered', () => {
      const coordinator = localSlotCoordinator({ limits: { s: 3 } });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      const durations: Record<string, string> = { a: '--|', b: '----|', c: '------|', d: '---|', e: '---|' };
      testScheduler.run(({ cold, hot }) => {
        hot('-(abcde)').pipe(serverSlots({ servers: ['s'], coordinator, work: wrap((item) => cold(durations[item] as string)) })).subscribe();
        cold('--r').subscribe(() => coordinator.setLimit('s', 1));
      });

      // a, b and c run until 3, 5 and 7; only when all three are done does d start.
      expect(starts).toEqual(['a@1:s', 'b@1:s', 'c@1:s', 'd@7:s', 'e@10:s']);
      expect(violations).toEqual([]);
    });

    it('should count running work in a new prefix budget, so it never over-admits', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      const durations: Record<string, string> = { x: '---|', y: '-----|', z: '---|' };
      testScheduler.run(({ cold, hot }) => {
        const servers = ['https://h/a', 'https://h/b'];
        hot('-(xyz)').pipe(serverSlots({ servers, coordinator, work: wrap((item) => cold(durations[item] as string)) })).subscribe();
        cold('--r').subscribe(() => coordinator.setLimit('https://h', 1));
      });

      // x and y hold two slots of the new one-slot budget: z waits until both are done.
      expect(starts).toEqual(['x@1:https://h/a', 'y@1:https://h/b', 'z@6:https://h/a']);
      expect(violations).toEqual([]);
    });

    it('should start waiting items at once when a prefix limit is removed', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 2, limits: { 'https://h': 1 } });
      const { starts, violations, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        hot('-(abcd)').pipe(serverSlots({ servers: ['https://h/a', 'https://h/b'], coordinator, work: wrap(() => NEVER) })).subscribe();
        cold('---r').subscribe(() => coordinator.removeLimit('https://h'));
      });

      expect(starts.map((s) => s.split(':')[0])).toEqual(['a@1', 'b@3', 'c@3', 'd@3']);
      expect(violations).toEqual([]);
    });
  });

  describe('teardown (regressions)', () => {
    // It used to hand each slot freed by its own teardown to its next waiting item: the work of
    // every waiting item was started, then unsubscribed at once.
    it('should start no waiting item while it is being unsubscribed', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ hot, expectObservable }) => {
        const result = hot('-abc').pipe(serverSlots({ servers: ['s'], coordinator, work: wrap(() => NEVER) }));
        expectObservable(result, '-----!').toBe('-');
      });

      expect(starts).toEqual(['a@1:s']);
      expect(coordinator.budget('s').inUse).toBe(0);
    });

    // It used to loop forever: the freed slot was offered to its own shared queue, which had no
    // consumer any more, released, offered again...
    it('should unsubscribe while a shared queue still holds items, leaving them in the queue', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const queue = new PullQueue<Job>(byPriority);
      testScheduler.run(({ hot, expectObservable }) => {
        const jobs = { a: job('a', 1), b: job('b', 1), c: job('c', 1) };
        const result = hot('-abc', jobs).pipe(prioritySlots({ queue, servers: ['s'], coordinator, work: () => NEVER }));
        expectObservable(result, '-----!').toBe('-');
      });

      expect(queue.size).toBe(2);
      expect(coordinator.budget('s').inUse).toBe(0);
    });

    // It used to loop forever: the pool was set before the buffer upstream had connected to the queue.
    it('should start items already waiting in a shared queue when it subscribes', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const queue = new PullQueue<Job>(byPriority);
      queue.push(job('early', 1));
      queue.push(job('urgent', 9));
      const { starts, wrap } = bench<Job>(coordinator, testScheduler, (j) => j.id);
      testScheduler.run(({ cold, hot }) => {
        hot<Job>('---').pipe(prioritySlots({ queue, servers: ['s'], coordinator, work: wrap(() => cold('--|')) })).subscribe();
      });

      expect(starts).toEqual(['urgent@0:s', 'early@2:s']);
      expect(queue.size).toBe(0);
    });

    // It used to loop forever: the slot was offered to a queue nobody pulled from, released,
    // offered again...
    it('should offer no slot to a shared queue that has no consumer connected', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const queue = new PullQueue<Job>(byPriority);
      const started: string[] = [];
      testScheduler.run(({ cold, hot }) => {
        // The buffer that should fill `queue` is missing: items are pushed into it from outside.
        hot<Job>('-').pipe(slotsOver({ servers: ['s'], coordinator, work: (j: Job) => (started.push(j.id), NEVER) }, queue)).subscribe();
        cold('--p').subscribe(() => queue.push(job('stranded', 1)));
      });

      expect(started).toEqual([]);
      expect(queue.size).toBe(1);
      expect(coordinator.budget('s').inUse).toBe(0);
    });

    // It used to give the slot of the failed item to the next waiting item before erroring.
    it('should start no waiting item when the error of a work tears it down', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const work = wrap(() => cold('--#', undefined, new Error('work failed')));
        expectObservable(hot('-ab').pipe(serverSlots({ servers: ['s'], coordinator, work }))).toBe('---#', undefined, new Error('work failed'));
      });

      expect(starts).toEqual(['a@1:s']);
      expect(coordinator.budget('s').inUse).toBe(0);
    });

    it('should give the slot of a failed pipeline to another pipeline that waits for it', () => {
      const coordinator = localSlotCoordinator({ defaultLimit: 1 });
      const broker = new SlotBroker<string>({ coordinator });
      const { starts, wrap } = bench<string>(coordinator, testScheduler);
      testScheduler.run(({ cold, hot }) => {
        const work = wrap((item) => cold(item === 'a' ? '--#' : '--|'));
        hot('-ab').pipe(serverSlots({ servers: ['s'], broker, work })).subscribe({ error: () => undefined });
        hot('--x').pipe(serverSlots({ servers: ['s'], broker, work })).subscribe();
      });

      expect(starts).toEqual(['a@1:s', 'x@3:s']);
    });
  });

  describe('options', () => {
    it('should error when a shared queue gets an item that was not pulled by a slot', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const queue = new PullQueue<string>(() => 0);
        const result = hot('-a').pipe(slotsOver({ servers: ['s'], work: () => NEVER }, queue));

        expectObservable(result).toBe(
          '-#',
          undefined,
          new TypeError('serverSlots: an item arrived without a slot; feed it through prioritySlots({ queue })'),
        );
      });
    });

    it('should throw a TypeError at creation for an invalid pool or work', () => {
      expect(() => serverSlots({ servers: ['s', ''], work: () => NEVER })).toThrow(/servers\[1\]/);
      expect(() => serverSlots({ servers: 's' as never, work: () => NEVER })).toThrow(TypeError);
      expect(() => serverSlots({ servers: ['s'], work: 'run' as never })).toThrow(/`work`/);
      expect(() => serverSlots({ servers: ['s'], queue: [], work: () => NEVER } as never)).toThrow(/`queue`/);
    });

    it('should accept a Subject as the pool', () => {
      const pool = new Subject<readonly string[]>();
      const started: string[] = [];
      of('a').pipe(serverSlots({ servers: pool, work: (item, lease) => of(started.push(`${item}:${lease.server}`)) })).subscribe();

      expect(started).toEqual([]);
      pool.next(['s']);
      expect(started).toEqual(['a:s']);
    });
  });
});

describe('serverSlots with a bare Subscribable as work', () => {
  it('should hold the slot until it completes, and unsubscribe it when the pipeline is torn down', () => {
    const coordinator = localSlotCoordinator();
    const observers: Array<Partial<Observer<string>>> = [];
    let unsubscribed = 0;
    const work = (): Subscribable<string> => ({
      subscribe: (observer) => {
        observers.push(observer);
        return { unsubscribe: () => unsubscribed++ };
      },
    });
    const source = new Subject<number>();
    const seen: string[] = [];
    const subscription = source.pipe(serverSlots({ servers: ['s'], coordinator, work })).subscribe((v) => seen.push(v));
    source.next(1);
    source.next(2);
    expect(observers).toHaveLength(1); // limit 1: the second waits
    expect(coordinator.budget('s').inUse).toBe(1);
    observers[0]?.next?.('one');
    observers[0]?.complete?.();
    expect(seen).toEqual(['one']);
    expect(observers).toHaveLength(2); // the slot went to the second item
    subscription.unsubscribe();
    expect(unsubscribed).toBe(2); // the running one is stopped (the finished one was unsubscribed on completion)
    expect(coordinator.budget('s').inUse).toBe(0);
  });
});

/**
 * An endless synchronous source that counts what it emitted. A cap turns a regression (a source
 * drained eagerly) into a failed assertion instead of a hung test.
 */
function naturals(pulled: { count: number }, cap = 100_000): Observable<number> {
  return new Observable<number>((subscriber) => {
    for (let n = 0; !subscriber.closed; n++) {
      if (n === cap) return;
      pulled.count++;
      subscriber.next(n);
    }
  });
}

/** Work that logs its start and its teardown, and completes (or errors) after `ms` of `scheduler`'s time. */
function loggedWork(log: string[], scheduler: TestScheduler, ms: number | ((item: string) => number), fails = (_item: string) => false) {
  return (item: string): Observable<string> =>
    new Observable<string>((subscriber) => {
      log.push(`start ${item}`);
      const delay = typeof ms === 'number' ? ms : ms(item);
      const end = (): void => (fails(item) ? subscriber.error(new Error(`${item} failed`)) : subscriber.complete());
      const action = delay === 0 ? (end(), undefined) : scheduler.schedule(() => (subscriber.next(item), end()), delay);
      return () => {
        action?.unsubscribe();
        log.push(`teardown ${item}`);
      };
    });
}

describe('serverSlots keeps the operator contract of mergeMap(fn, k)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** The same pipeline with `serverSlots` (one server of limit k) and with `mergeMap(work, k)`: their logs must agree. */
  function both(k: number, build: (op: <A, B>(work: (a: A) => Observable<B>) => OperatorFunction<A, B>, log: string[]) => void): [string[], string[]] {
    const slotted: string[] = [];
    const merged: string[] = [];
    build((work) => serverSlots({ servers: ['s'], coordinator: localSlotCoordinator({ defaultLimit: k }), work }), slotted);
    build((work) => mergeMap(work, k), merged);
    return [slotted, merged];
  }

  describe('a synchronous source is pulled only as slots allow', () => {
    it('should pull 3 items of an endless synchronous source when take(3) follows synchronous work', () => {
      const pulled = { count: 0 };
      const values: number[] = [];
      naturals(pulled)
        .pipe(serverSlots({ servers: ['s'], coordinator: localSlotCoordinator({ defaultLimit: Infinity }), work: (n) => [n] }), take(3))
        .subscribe((n) => values.push(n));

      expect(values).toEqual([0, 1, 2]);
      expect(pulled.count).toBe(3);
    });

    it('should pull as many items as mergeMap does', () => {
      const pulled = { count: 0 };
      naturals(pulled).pipe(mergeMap((n) => [n], Infinity), take(3)).subscribe();

      expect(pulled.count).toBe(3);
    });

    it('should start the first work before a synchronous source of 1,000,000 items is drained', () => {
      const limit = 2;
      const pulled = { count: 0 };
      const pulledAtStart: number[] = [];
      const subscription = naturals(pulled, 1_000_000)
        .pipe(
          serverSlots({
            servers: ['s'],
            coordinator: localSlotCoordinator({ defaultLimit: limit }),
            work: () => (pulledAtStart.push(pulled.count), NEVER),
          }),
        )
        .subscribe();
      subscription.unsubscribe();

      expect(pulledAtStart).toHaveLength(limit);
      expect(pulledAtStart[0]).toBeLessThanOrEqual(limit + 1);
    });
  });

  describe('work started while the operator is being subscribed', () => {
    it('should stop a synchronous inner that keeps emitting when take(3) follows', () => {
      const pulled = { count: 0 };
      const values: number[] = [];
      of('a')
        .pipe(serverSlots({ servers: ['s'], work: () => naturals(pulled) }), take(3))
        .subscribe((n) => values.push(n));

      expect(values).toEqual([0, 1, 2]);
      expect(pulled.count).toBe(3);
    });

    it('should call return() on a generator returned by the work, so its finally runs', () => {
      let yielded = 0;
      let finallyRan = false;
      function* endless(): Generator<number> {
        try {
          for (let n = 0; n < 100_000; n++) {
            yielded++;
            yield n;
          }
        } finally {
          finallyRan = true;
        }
      }
      const coordinator = localSlotCoordinator();
      of('a')
        .pipe(serverSlots({ servers: ['s'], coordinator, work: () => endless() }), take(3))
        .subscribe();

      expect(yielded).toBe(3);
      expect(finallyRan).toBe(true);
      expect(coordinator.budget('s').inUse).toBe(0);
    });

    it('should stop work already started by the time a later item ends the subscription', () => {
      const log: string[] = [];
      const coordinator = localSlotCoordinator({ defaultLimit: 2 });
      const work = (item: string): Observable<string> =>
        item === 'a' ? new Observable<string>(() => () => log.push('teardown a')) : of('x');
      of('a', 'b')
        .pipe(serverSlots({ servers: ['s'], coordinator, work }), take(1))
        .subscribe((v) => log.push(`value ${v}`));

      expect(log).toEqual(['value x', 'teardown a']);
      expect(coordinator.budget('s').inUse).toBe(0);
    });
  });

  describe('a finished work is torn down before its slot starts the next item', () => {
    it('should run the teardown of asynchronous work before the next start (limit 1)', () => {
      const log: string[] = [];
      testScheduler.run(({ cold }) => {
        cold('(12|)').pipe(serverSlots({ servers: ['s'], work: loggedWork(log, testScheduler, 2) })).subscribe();
      });

      expect(log.join(' | ')).toBe('start 1 | teardown 1 | start 2 | teardown 2');
    });

    it('should run the teardown of synchronous work before the next start (limit 1)', () => {
      const log: string[] = [];
      testScheduler.run(({ cold }) => {
        cold('(12|)').pipe(serverSlots({ servers: ['s'], work: loggedWork(log, testScheduler, 0) })).subscribe();
      });

      expect(log.join(' | ')).toBe('start 1 | teardown 1 | start 2 | teardown 2');
    });

    it('should give the slot back only once the work has been torn down', () => {
      const coordinator = localSlotCoordinator();
      const inUseAtTeardown: number[] = [];
      testScheduler.run(({ cold }) => {
        const work = (): Observable<never> =>
          new Observable<never>((subscriber) => {
            const action = testScheduler.schedule(() => subscriber.complete(), 2);
            return () => {
              action.unsubscribe();
              inUseAtTeardown.push(coordinator.budget('s').inUse);
            };
          });
        cold('(ab|)').pipe(serverSlots({ servers: ['s'], coordinator, work })).subscribe();
      });

      expect(inUseAtTeardown).toEqual([1, 1]);
      expect(coordinator.budget('s').inUse).toBe(0);
    });
    it('should unsubscribe the handle of a bare Subscribable before its slot starts the next item', () => {
      const log: string[] = [];
      const observers: Array<Partial<Observer<string>>> = [];
      const work = (item: number): Subscribable<string> => ({
        subscribe: (observer) => {
          log.push(`start ${item}`);
          observers.push(observer);
          return { unsubscribe: () => log.push(`unsubscribe ${item}`) };
        },
      });
      of(1, 2).pipe(serverSlots({ servers: ['s'], work })).subscribe();
      observers[0]?.complete?.();

      expect(log).toEqual(['start 1', 'unsubscribe 1', 'start 2']);
    });
  });

  describe('errors and completion, as in mergeMap', () => {
    it('should log the same starts, teardowns, values and completion as mergeMap (limit 2)', () => {
      const [slotted, merged] = both(2, (op, log) => {
        const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
        scheduler.run(({ cold }) => {
          const durations: Record<string, number> = { a: 3, b: 1, c: 2, d: 1 };
          cold('-a-bc-d|')
            .pipe(op(loggedWork(log, scheduler, (item) => durations[item] as number)))
            .subscribe({ next: (v) => log.push(`value ${v}@${scheduler.now()}`), complete: () => log.push(`complete@${scheduler.now()}`) });
        });
      });

      expect(slotted).toEqual(merged);
    });

    it('should error at once when a work errors, tearing the others down, as mergeMap does', () => {
      const [slotted, merged] = both(2, (op, log) => {
        const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
        scheduler.run(({ cold }) => {
          cold('-ab-c')
            .pipe(op(loggedWork(log, scheduler, (item) => (item === 'b' ? 2 : 5), (item) => item === 'b')))
            .subscribe({ error: (e: Error) => log.push(`error ${e.message}@${scheduler.now()}`) });
        });
      });

      expect(slotted).toEqual(merged);
      expect(slotted).toEqual(['start a', 'start b', 'error b failed@4', 'teardown a', 'teardown b']);
    });

    it('should error at once when a work errors synchronously, starting no waiting item', () => {
      const [slotted, merged] = both(1, (op, log) => {
        const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
        scheduler.run(({ cold }) => {
          cold('(ab|)')
            .pipe(op(loggedWork(log, scheduler, 0, (item) => item === 'a')))
            .subscribe({ error: (e: Error) => log.push(`error ${e.message}`) });
        });
      });

      expect(slotted).toEqual(merged);
      expect(slotted).toEqual(['start a', 'error a failed', 'teardown a']);
    });

    it('should pass a source error through and tear the running work down, as mergeMap does', () => {
      const [slotted, merged] = both(2, (op, log) => {
        const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
        scheduler.run(({ cold }) => {
          cold('-ab-#', undefined, new Error('source failed'))
            .pipe(op(loggedWork(log, scheduler, 9)))
            .subscribe({ error: (e: Error) => log.push(`error ${e.message}@${scheduler.now()}`) });
        });
      });

      expect(slotted).toEqual(merged);
    });

    it('should tear the running work down when the output is unsubscribed, as mergeMap does', () => {
      const [slotted, merged] = both(2, (op, log) => {
        const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
        scheduler.run(({ cold }) => {
          const subscription = cold('-abc').pipe(op(loggedWork(log, scheduler, 9))).subscribe();
          scheduler.schedule(() => subscription.unsubscribe(), 5);
        });
      });

      expect(slotted).toEqual(merged);
      expect(slotted).toEqual(['start a', 'start b', 'teardown a', 'teardown b']);
    });
  });
});
