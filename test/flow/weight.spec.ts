import { type Observable, of, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { prioritySlots } from '../../src/operators/prioritySlots.js';
import { serverSlots } from '../../src/operators/serverSlots.js';
import { compareRanked, LevelQueue } from '../../src/queues/levelQueue.js';
import { SlotBroker } from '../../src/slots/slotBroker.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import type { SlotCoordinator } from '../../src/slots/slotCoordinator.js';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';

interface Job {
  readonly id: string;
  readonly lane: number;
  readonly priority: number;
  readonly seq: number;
  readonly weight: number;
}
let seq = 0;
const job = (id: string, weight = 1, priority = 0): Job => ({ id, lane: 1, priority, seq: seq++, weight });

describe('task weight under serverSlots / prioritySlots (marbles, virtual time)', () => {
  let rx: TestScheduler;
  let coordinator: SlotCoordinator;
  let broker: SlotBroker<Job>;
  let starts: string[];
  beforeEach(() => {
    rx = new TestScheduler((a, e) => expect(a).toEqual(e));
    coordinator = localSlotCoordinator({ defaultLimit: 2 });
    broker = new SlotBroker<Job>({ coordinator, compare: compareRanked, weightOf: (j) => j.weight });
    starts = [];
  });

  /** Work that records its start and the in-use weight of 's' at that moment. */
  const timed = (ticks: Record<string, string>) => (j: Job) =>
    rx.createColdObservable(ticks[j.id] ?? '--(r|)', { r: j.id }).pipe(tap({ subscribe: () => starts.push(`${j.id}@${rx.now()}`) }));
  const pipeline = (source: Observable<Job>, queue: LevelQueue<Job>, work: (j: Job) => Observable<string>) =>
    source.pipe(prioritySlots({ queue, servers: ['s'], broker, work }));

  it('should hold the budget for a heavy task at the head: a steady light stream that always leaves one slot busy does not starve it', () => {
    // Limit 2. Lights arrive every 2 ticks and run 3, so one is always running: a task of weight 2
    // that had to wait for two free slots at once would wait until the stream stops (11).
    const heavyQueue = new LevelQueue<Job>();
    const lightQueue = new LevelQueue<Job>();
    rx.run(({ hot, expectObservable }) => {
      const jobs = { a: job('a'), H: job('H', 2), b: job('b'), c: job('c'), d: job('d'), e: job('e') };
      const work = timed({ a: '---(r|)', b: '---(r|)', c: '---(r|)', d: '---(r|)', e: '---(r|)', H: '----(r|)' });
      pipeline(hot('a-b-c-d-e', jobs), lightQueue, work).subscribe();
      //   H arrives at 1 and holds 's' (b, arriving at 2, waits); a ends at 3: H starts with both slots.
      expectObservable(pipeline(hot('-H', jobs), heavyQueue, work)).toBe('-------H', { H: 'H' });
    });
    expect(starts).toEqual(['a@0', 'H@3', 'b@7', 'c@7', 'd@10', 'e@10']);
  });

  it('should let a better-ranked light task take a free slot of a held budget (priority first, then the hold)', () => {
    const heavyQueue = new LevelQueue<Job>();
    const lightQueue = new LevelQueue<Job>();
    rx.run(({ hot }) => {
      const jobs = { a: job('a'), H: job('H', 2), p: job('p', 1, 5), b: job('b') };
      const work = timed({ a: '---(r|)', p: '---(r|)', b: '--(r|)', H: '--(r|)' });
      pipeline(hot('a-pb', jobs), lightQueue, work).subscribe();
      pipeline(hot('-H', jobs), heavyQueue, work).subscribe();
    });
    // p (priority 5) outranks H and starts at once in the slot a leaves free; b (priority 0, after
    // H) waits for H although a slot is free from 3 to 5.
    expect(starts).toEqual(['a@0', 'p@2', 'H@5', 'b@7']);
  });

  it('should give a held budget to the next waiting task at once when the heavy task leaves the queue', () => {
    const heavyQueue = new LevelQueue<Job>();
    const lightQueue = new LevelQueue<Job>();
    rx.run(({ hot }) => {
      const jobs = { a: job('a'), H: job('H', 2), b: job('b') };
      const work = timed({ a: '----------(r|)' });
      rx.schedule(() => heavyQueue.remove(jobs.H), 4);
      pipeline(hot('a-b', jobs), lightQueue, work).subscribe();
      pipeline(hot('-H', jobs), heavyQueue, work).subscribe();
    });
    expect(starts).toEqual(['a@0', 'b@4']);
  });

  it('should pass over a task heavier than the limit (lowered below its weight) and run it once the limit is back', () => {
    const heavyQueue = new LevelQueue<Job>();
    const lightQueue = new LevelQueue<Job>();
    rx.run(({ hot }) => {
      const jobs = { a: job('a'), H: job('H', 2), b: job('b') };
      const work = timed({ a: '----(r|)', b: '----(r|)' });
      rx.schedule(() => coordinator.setLimit('s', 1), 3);
      rx.schedule(() => coordinator.setLimit('s', 2), 6);
      pipeline(hot('a-b', jobs), lightQueue, work).subscribe();
      pipeline(hot('-H', jobs), heavyQueue, work).subscribe();
    });
    // Limit 1 at 3: H can never fit, so it no longer holds 's'; b starts when a ends (4). The limit is
    // 2 again at 6: H holds 's' until b ends (8).
    expect(starts).toEqual(['a@0', 'b@4', 'H@8']);
  });

  it('should count in-use by weight and hand the weight to the work in its lease', () => {
    const seen: Array<[string, number, number]> = [];
    rx.run(({ hot, cold }) => {
      const jobs = { H: job('H', 2), a: job('a') };
      const out = hot('Ha', jobs).pipe(
        serverSlots({
          servers: ['s'],
          coordinator: localSlotCoordinator({ defaultLimit: 3 }),
          weight: (j: Job) => j.weight,
          work: (j, lease) => {
            seen.push([j.id, lease.weight, rx.now()]);
            return cold('---(r|)', { r: j.id });
          },
        }),
      );
      // Limit 3: H (2) and a (1) run together.
      rx.expectObservable(out).toBe('---Ha', { H: 'H', a: 'a' });
    });
    expect(seen).toEqual([
      ['H', 2, 0],
      ['a', 1, 1],
    ]);
  });

  it('should keep FIFO in one pipeline: a heavy head is not overtaken by the light items behind it', () => {
    rx.run(({ hot, cold, expectObservable }) => {
      const jobs = { a: job('a'), H: job('H', 2), b: job('b') };
      const out = hot('aHb', jobs).pipe(
        serverSlots({
          servers: ['s'],
          coordinator: localSlotCoordinator({ defaultLimit: 2 }),
          weight: (j: Job) => j.weight,
          work: (j) => cold(j.id === 'a' ? '----(r|)' : '-(r|)', { r: j.id }),
        }),
      );
      // a runs 0-4; H needs both slots (waits, b behind it waits too): H 4-5, then b 5-6.
      expectObservable(out).toBe('----aHb', { a: 'a', H: 'H', b: 'b' });
    });
  });

  it('should error the output with a typed error naming `weight` for a weight that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      let error: unknown;
      of(job('x', bad))
        .pipe(serverSlots({ servers: ['s'], weight: (j: Job) => j.weight, work: () => of(1) }))
        .subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).field).toBe('weight');
    }
    expect(() => serverSlots({ servers: ['s'], broker, weight: (j: Job) => j.weight, work: () => of(1) })).toThrow(InvalidOptionError);
  });
});
