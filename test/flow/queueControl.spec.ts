import { type Observable, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { prioritySlots } from '../../src/operators/prioritySlots.js';
import { LevelQueue } from '../../src/queues/levelQueue.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import { SlotBroker } from '../../src/slots/slotBroker.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { compareRanked } from '../../src/queues/levelQueue.js';

interface Job {
  readonly id: string;
  readonly lane: number;
  priority: number;
  seq: number;
}
let seq = 0;
const job = (id: string, priority = 0): Job => ({ id, lane: 1, priority, seq: seq++ });

describe('queue control under prioritySlots (marbles, virtual time)', () => {
  let rx: TestScheduler;
  beforeEach(() => {
    rx = new TestScheduler((a, e) => expect(a).toEqual(e));
  });

  const started = (starts: string[], work: () => Observable<unknown>) => (j: Job) => work().pipe(tap({ subscribe: () => starts.push(`${j.id}@${rx.now()}`) }));

  it('should start nothing of a paused queue, give the slot to another pipeline meanwhile, and start its items on resume', () => {
    const starts: string[] = [];
    const broker = new SlotBroker<Job>({ coordinator: localSlotCoordinator({ defaultLimit: 1 }), compare: compareRanked });
    const paused = new LevelQueue<Job>();
    const other = new LevelQueue<Job>();
    rx.run(({ cold, hot, expectObservable }) => {
      const jobs = { a: job('a', 9), b: job('b', 9), x: job('x', 0) };
      const work = started(starts, () => cold('--(r|)', { r: 'done' }));
      rx.schedule(() => paused.pause(), 0);
      rx.schedule(() => paused.resume(), 6);
      const out = hot('-ab', jobs).pipe(prioritySlots({ queue: paused, servers: ['s'], broker, work }));
      hot('--x', jobs).pipe(prioritySlots({ queue: other, servers: ['s'], broker, work })).subscribe();
      //   a and b wait while paused (x, of lower priority, takes the slot at 2); resume at 6 starts a, then b.
      expectObservable(out).toBe('--------r-r', { r: 'done' });
    });
    expect(starts).toEqual(['x@2', 'a@6', 'b@8']);
    expect(paused.paused).toBe(false);
  });

  it('should keep running work going when paused (pause stops starts, not work)', () => {
    const starts: string[] = [];
    const queue = new PullQueue<Job>(compareRanked);
    rx.run(({ cold, hot, expectObservable }) => {
      const jobs = { a: job('a'), b: job('b') };
      const work = started(starts, () => cold('----(r|)', { r: 1 }));
      rx.schedule(() => queue.pause(), 2);
      rx.schedule(() => queue.resume(), 10);
      const out = hot('-ab', jobs).pipe(prioritySlots({ queue, servers: ['s'], coordinator: localSlotCoordinator(), work }));
      expectObservable(out).toBe('-----r--------r', { r: 1 });
    });
    expect(starts).toEqual(['a@1', 'b@10']);
  });

  it('should move a waiting item with requeue: to the end of its new level, FIFO among equals', () => {
    const starts: string[] = [];
    const queue = new LevelQueue<Job>();
    rx.run(({ cold, hot }) => {
      const jobs = { r: job('r'), a: job('a', 5), b: job('b', 5), c: job('c', 1) };
      const work = started(starts, () => cold('---(d|)', { d: 1 }));
      rx.schedule(() => {
        // c moves up to 5: it now comes after a and b (it counts as arriving now).
        expect(queue.requeue(jobs.c, (j) => {
          j.priority = 5;
          j.seq = seq++;
        })).toBe(true);
        // a moves down to 0: behind everything.
        expect(queue.requeue(jobs.a, (j) => {
          j.priority = 0;
          j.seq = seq++;
        })).toBe(true);
      }, 2);
      hot('(rabc)', jobs).pipe(prioritySlots({ queue, servers: ['s'], coordinator: localSlotCoordinator(), work })).subscribe();
    });
    expect(starts).toEqual(['r@0', 'b@3', 'c@6', 'a@9']);
  });

  it('should refuse to requeue an item that is not waiting (removed, or never there)', () => {
    const queue = new LevelQueue<Job>();
    const a = job('a');
    let changed = 0;
    expect(queue.requeue(a, () => changed++)).toBe(false);
    queue.push(a);
    queue.remove(a);
    expect(queue.requeue(a, () => changed++)).toBe(false);
    expect(changed).toBe(0);
    expect(queue.size).toBe(0);
  });
});
