import { of, take, tap, toArray, firstValueFrom, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { pullSlots } from '../../src/operators/pullSlots.js';
import { LevelQueue } from '../../src/queues/levelQueue.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';

/** Counts what the source gave and what started, and checks the bound at every item given. */
class Ledger {
  taken = 0;
  started = 0;
  worst = 0;
  finallyRan = false;

  constructor(readonly maxQueued: number) {}

  *endless(): Generator<number> {
    try {
      for (let i = 0; ; i++) {
        this.taken++;
        // Taken and not started: what waits in the queue, this one included.
        this.worst = Math.max(this.worst, this.taken - this.started);
        yield i;
      }
    } finally {
      this.finallyRan = true;
    }
  }

  work<R>(run: (item: number) => Observable<R>): (item: number) => Observable<R> {
    return (item) => {
      this.started++;
      return run(item);
    };
  }
}

describe('pullSlots (backpressure to an iterable)', () => {
  let rx: TestScheduler;
  beforeEach(() => {
    rx = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should end an endless synchronous source with take(n) downstream, running its finally', () => {
    const ledger = new Ledger(3);
    const out: number[] = [];
    pullSlots(ledger.endless(), {
      maxQueued: 3,
      queue: new PullQueue<number>((a, b) => a - b),
      servers: ['s'],
      coordinator: localSlotCoordinator({ defaultLimit: 2 }),
      work: ledger.work((item) => of(item * 10)),
    })
      .pipe(take(5))
      .subscribe((value) => out.push(value));
    expect(out).toEqual([0, 10, 20, 30, 40]);
    expect(ledger.finallyRan).toBe(true);
    // Never more than maxQueued given and not started.
    expect(ledger.worst).toBeLessThanOrEqual(3);
  });

  it('should take no more than maxQueued + running + finished items while the work is slow (marbles)', () => {
    const ledger = new Ledger(3);
    rx.run(({ cold, expectObservable }) => {
      const source = ledger.endless();
      const output = pullSlots(source, {
        maxQueued: 3,
        queue: new PullQueue<number>((a, b) => a - b),
        servers: ['s'],
        coordinator: localSlotCoordinator({ defaultLimit: 2 }),
        work: ledger.work((item) => cold('10ms (r|)', { r: item })),
      }).pipe(take(6));
      // Two at a time, 10 ms each: 0 and 1 end at 10, 2 and 3 at 20, 4 and 5 at 30.
      expectObservable(output).toBe('10ms (ab) 6ms (cd) 6ms (ef|)', { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5 });
    });
    // Taken: 2 running + 3 waiting at any time; at the end 6 finished, 2 more started, 3 waiting at most.
    expect(ledger.worst).toBeLessThanOrEqual(3);
    expect(ledger.taken).toBeLessThanOrEqual(6 + 2 + 3);
    expect(ledger.finallyRan).toBe(true);
  });

  it('should keep the queue order among the waiting items (priority, then FIFO)', () => {
    interface Job { readonly id: string; readonly lane: number; readonly priority: number; readonly seq: number }
    const jobs: Job[] = ['a', 'b', 'c', 'd', 'e'].map((id, seq) => ({ id, lane: 1, priority: id === 'd' ? 5 : 0, seq }));
    const started: string[] = [];
    rx.run(({ cold, expectObservable }) => {
      const output = pullSlots(jobs, {
        maxQueued: 4,
        queue: new LevelQueue<Job>(),
        servers: ['s'],
        coordinator: localSlotCoordinator({ defaultLimit: 1 }),
        work: (job) => cold('-(r|)', { r: job.id }).pipe(tap({ subscribe: () => started.push(job.id) })),
      });
      // a, b, c and d (maxQueued) are taken before the servers are set: d (priority 5) goes first,
      // then FIFO; e is taken when d starts.
      expectObservable(output).toBe('-dabc(e|)');
    });
    expect(started).toEqual(['d', 'a', 'b', 'c', 'e']);
  });

  it('should ask an AsyncIterable for one item at a time, and complete after its last', async () => {
    let reading = 0;
    let mostAtOnce = 0;
    async function* rows(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        reading++;
        mostAtOnce = Math.max(mostAtOnce, reading);
        await Promise.resolve();
        reading--;
        yield i;
      }
    }
    const values = await firstValueFrom(
      pullSlots(rows(), { maxQueued: 2, queue: new PullQueue<number>((a, b) => a - b), servers: ['s'], coordinator: localSlotCoordinator({ defaultLimit: 3 }), work: (item) => of(item) }).pipe(toArray()),
    );
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(mostAtOnce).toBe(1);
  });

  it('should error the output when the iterator throws', () => {
    function* failing(): Generator<number> {
      yield 1;
      throw new Error('cursor lost');
    }
    rx.run(({ cold, expectObservable }) => {
      const output = pullSlots(failing(), { maxQueued: 5, queue: new PullQueue<number>((a, b) => a - b), servers: ['s'], work: (item) => cold('-(r|)', { r: item }) });
      expectObservable(output).toBe('#', undefined, new Error('cursor lost'));
    });
  });

  it('should refuse a bad maxQueued or a source that is not iterable, naming the field', () => {
    const base = { queue: new PullQueue<number>((a, b) => a - b), servers: ['s'], work: (item: number) => of(item) };
    for (const maxQueued of [0, 1.5, Infinity, '3']) {
      expect(() => pullSlots([1], { ...base, maxQueued: maxQueued as number })).toThrow(new InvalidOptionError('maxQueued', 'an integer from 1 and up', maxQueued));
    }
    // An Observable pushes: it cannot be asked to wait.
    expect(() => pullSlots(of(1) as never, { ...base, maxQueued: 1 })).toThrow(/Expected `items` to be an Iterable or an AsyncIterable/);
  });
});
