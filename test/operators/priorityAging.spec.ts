import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { priorityBuffer } from '../../src/operators/priorityBuffer.js';

// Upper-case letters are the steady high-priority stream (priority 2), lower-case letters low
// items (priority 0); `k` is a command.
const priority = (item: string): number => (item === item.toUpperCase() ? 2 : 0);
const isCommand = (item: string): boolean => item === 'k';

describe('priorityBuffer with agingMs', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  // A high item arrives every 10 ms and one credit comes 5 ms later: exactly enough room for the
  // stream, none left for the low item x.
  const stream = ' A x 8ms B 9ms C 9ms D 9ms E 9ms F 9ms G';
  const credits = '5ms 1 9ms 1 9ms 1 9ms 1 9ms 1 9ms 1 9ms 1';

  it('should starve a low item behind a steady higher stream without aging', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot(stream);
      const demand = hot(credits, { 1: 1 });
      const expected = '5ms A 9ms B 9ms C 9ms D 9ms E 9ms F 9ms G';

      expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
    });
  });

  it('should release the low item once it has risen to the stream: (2 - 0) steps of 10 ms', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot(stream);
      const demand = hot(credits, { 1: 1 });
      // x (queued at 1, step 0) ranks 0; B (at 10) ranks 2 - 1 = 1; C (at 20) ranks 2 - 2 = 0, a tie
      // that x wins as the earlier item: x leaves at the credit of 25 instead of C.
      const expected = '5ms A 9ms B 9ms x 9ms C 9ms D 9ms E 9ms F';

      expectObservable(source.pipe(priorityBuffer({ priority, demand, agingMs: 10, scheduler: testScheduler }))).toBe(expected);
    });
  });

  it('should bound the wait of a low item by (high - low + 1) * agingMs plus one credit period', () => {
    for (const high of [1, 2, 3, 5]) {
      for (const agingMs of [10, 20, 35]) {
        const scheduler = new TestScheduler(() => undefined);
        let releasedAt: number | undefined;
        scheduler.run(() => {
          // The stream: a high item every 10 ms from 0 to 1,000, a credit 5 ms after each.
          const source = new Subject<string>();
          const demand = new Subject<number>();
          source.pipe(priorityBuffer({ priority: (item) => (item === 'x' ? 0 : high), demand, agingMs, scheduler })).subscribe((item) => {
            if (item === 'x') releasedAt = scheduler.now();
          });
          for (let t = 0; t <= 1000; t += 10) {
            scheduler.schedule(() => source.next('H'), t);
            scheduler.schedule(() => demand.next(1), t + 5);
          }
          scheduler.schedule(() => source.next('x'), 3);
        });
        expect(releasedAt, `high ${high}, agingMs ${agingMs}`).toBeDefined();
        expect((releasedAt ?? Infinity) - 3, `high ${high}, agingMs ${agingMs}`).toBeLessThanOrEqual((high + 1) * agingMs + 10);
      }
    }
  });

  it('should keep FIFO among items of equal effective priority, by arrival', () => {
    testScheduler.run(({ hot, cold, expectObservable }) => {
      // a (0, at 0) and B (2, at 20) both rank 0 with agingMs 10: a arrived first and leaves first;
      // b (0, at 20) ranks -2 and leaves last.
      const source = hot('a 19ms (Bb)');
      const demand = cold('30ms 3', { 3: 3 });
      const expected = '30ms (aBb)';

      expectObservable(source.pipe(priorityBuffer({ priority, demand, agingMs: 10, scheduler: testScheduler }))).toBe(expected);
    });
  });

  it('should not age commands: they go first in arrival order', () => {
    testScheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('a 9ms k 9ms B');
      const demand = cold('100ms 3', { 3: 3 });
      const expected = '100ms (kaB)';

      expectObservable(source.pipe(priorityBuffer({ priority, isCommand, demand, agingMs: 10, scheduler: testScheduler }))).toBe(expected);
    });
  });

  it('should start the grid at each subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Subscribed at 55: x (at 61) and A (at 75) are in steps 0 and 2 of that subscription's grid,
      // a tie x wins. On a grid from 0 they would be in steps 6 and 7, and A would go first.
      const source = cold('6ms x 13ms A');
      const demand = cold('30ms 2', { 2: 2 });
      const expected = '85ms (xA)';
      const buffered = source.pipe(priorityBuffer({ priority, demand, agingMs: 10, scheduler: testScheduler }));

      expectObservable(buffered, '55ms ^').toBe(expected);
    });
  });

  it('should throw a TypeError at creation naming agingMs or scheduler when either is wrong', () => {
    const demand = new Subject<number>();
    for (const agingMs of [0, -1, Infinity, Number.NaN, '10']) {
      expect(() => priorityBuffer({ demand, agingMs: agingMs as number })).toThrow(
        new InvalidOptionError('agingMs', 'a finite number above 0 (ms per priority level)', agingMs),
      );
    }
    expect(() => priorityBuffer({ demand, agingMs: 10, scheduler: {} as never })).toThrow(/scheduler/);
  });
});
