import { BehaviorSubject, map, merge, Observable, Subject, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { fillQueue, priorityBuffer } from '../../src/operators/priorityBuffer.js';
import { prioritySlots } from '../../src/operators/prioritySlots.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import type { BufferQueue } from '../../src/queues/slotQueue.js';

// Items are single letters; a, b and c have distinct priorities, every other letter has priority 0.
const priorities: Record<string, number> = { a: 1, b: 5, c: 3 };
const priority = (item: string): number => priorities[item] ?? 0;

// Demand marbles: digits are credits, `i` is unlimited credit, `z` zero and `m` minus one.
const credits = { 1: 1, 2: 2, 3: 3, i: Infinity, z: 0, m: -1 };

describe('priorityBuffer', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('with demand credits: the rxjs operator checklist', () => {
    it('should not complete or error with a never source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const demand = cold('i', credits);
        const subs = '       ^';
        const expected = '   -';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should complete with an empty source and stop listening to demand', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const demand = hot(' ---1', credits);
        const subs = '       (^!)';
        const expected = '   |';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(demand.subscriptions).toBe(subs);
      });
    });

    it('should release one value when credit allows', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--x|');
        const demand = cold('1', credits);
        const subs = '       ^--!';
        const expected = '   --x|';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should release many values as they arrive when credit is unlimited', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c-x|');
        const demand = cold('i', credits);
        const subs = '       ^-------!';
        const expected = '   -a-b-c-x|';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should pass a source error through', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--x--#', undefined, new Error('boom'));
        const demand = cold('i', credits);
        const subs = '       ^----!';
        const expected = '   --x--#';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected, undefined, new Error('boom'));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should mirror a never-ending source without completing', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-x-y-z-');
        const demand = cold('i', credits);
        const subs = '       ^';
        const expected = '   -x-y-z-';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should allow unsubscribing early and explicitly, from the source and from demand', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-x-y-z-w|');
        const demand = cold('i', credits);
        const unsub = '      ----!';
        const subs = '       ^---!';
        const expected = '   -x-y';

        expectObservable(source.pipe(priorityBuffer({ priority, demand })), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(demand.subscriptions).toBe(subs);
      });
    });

    it('should not break unsubscription chains when the result is unsubscribed explicitly', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-x-y-z-w|');
        const demand = cold('i', credits);
        const unsub = '      ----!';
        const subs = '       ^---!';
        const expected = '   -x-y';

        const result = source.pipe(
          map((x) => x),
          priorityBuffer({ priority, demand }),
          map((x) => x),
        );

        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should error when the priority callback throws, and stop listening', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-x-y-z|');
        const demand = cold('i', credits);
        const subs = '       ^--!';
        const expected = '   -x-#';
        const thrower = (item: string): number => {
          if (item === 'y') throw new Error('bad priority');
          return 0;
        };

        expectObservable(source.pipe(priorityBuffer({ priority: thrower, demand }))).toBe(expected, undefined, new Error('bad priority'));
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(demand.subscriptions).toBe(subs);
      });
    });

    it('should error with a TypeError naming priority(item) when it returns NaN', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-x|');
        const demand = cold('i', credits);
        const expected = '   -#';

        expectObservable(source.pipe(priorityBuffer({ priority: () => NaN, demand }))).toBe(
          expected,
          undefined,
          new InvalidOptionError('priority(item)', 'a number', NaN),
        );
      });
    });

    it('should error when the isCommand callback throws', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-x-y|');
        const demand = cold('i', credits);
        const subs = '       ^--!';
        const expected = '   -x-#';
        const isCommand = (item: string): boolean => {
          if (item === 'y') throw new Error('bad lane');
          return false;
        };

        expectObservable(source.pipe(priorityBuffer({ isCommand, demand }))).toBe(expected, undefined, new Error('bad lane'));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });
  });

  describe('with demand credits: ordering and credit', () => {
    it('should release the highest priority waiting item on each credit', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-a-b-c-----------');
        const demand = cold('-------1---1---1', credits);
        const expected = '   -------b---c---a';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should release equal priorities in arrival order (FIFO)', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-(pqrstuvw)-------');
        const demand = cold('-----------i', credits);
        const expected = '   -----------(pqrstuvw)';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should release commands before every other item, whatever their priority', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-(abcx)-----');
        const demand = cold('-------1-1-1-1', credits);
        const expected = '   -------x-b-c-a';

        expectObservable(source.pipe(priorityBuffer({ priority, isCommand: (item) => item === 'x', demand }))).toBe(expected);
      });
    });

    it('should keep items while there is no demand', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-a-b-c---');
        const demand = cold('-', credits);
        const expected = '   ---------';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should release up to n items on a credit of n', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-(abc)---');
        const demand = cold('------2--', credits);
        const expected = '   ------(bc)';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should keep leftover credit and release later arrivals at once', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-p--q--r--s----');
        const demand = cold('3------------1', credits);
        const expected = '   -p--q--r-----s';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should ignore zero and negative credits', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-x--------');
        const demand = cold('--z-m-1', credits);
        const expected = '   ------x';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should add fractional credits up and release whole items only', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-(xyz)------');
        const demand = cold('--h-h-h-h', { h: 0.5 });
        const expected = '   ----x---y';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should keep credits after demand completes', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('----x--y--z');
        const demand = cold('2|', credits);
        const expected = '   ----x--y---';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should error when demand errors', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-x-----');
        const demand = cold('---#', credits, new Error('demand failed'));
        const expected = '   ---#';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected, undefined, new Error('demand failed'));
      });
    });

    // Regression: a consumer that asks for more inside next() used to be served from the same
    // credit twice (3 items for 2 credits).
    it('should not release more items than credits when demand is given back synchronously', () => {
      const seen: string[] = [];
      testScheduler.run(({ cold, hot }) => {
        const more = new Subject<number>();
        const source = hot('-(pqrs)----');
        const demand = merge(cold('-------1', credits), more);

        source.pipe(priorityBuffer({ priority, demand })).subscribe((item) => {
          seen.push(`${item}@${testScheduler.now()}`);
          if (item === 'p') more.next(1); // the consumer hands one credit back from inside next()
        });
      });

      expect(seen).toEqual(['p@7', 'q@7']);
    });
  });

  describe('with demand credits: completion and teardown', () => {
    it('should complete only when the source completed and the buffer is drained', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('-x-y-|');
        const demand = cold('--------1-1', credits);
        const sourceSubs = ' ^----!';
        const expected = '   --------x-(y|)';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('should complete with the source when nothing is waiting', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-x-|');
        const demand = cold('i', credits);
        const expected = '   -x-|';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
      });
    });

    it('should pass a source error at once, even with items waiting', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('-x-y-#');
        const demand = cold('-------i', credits);
        const demandSubs = ' ^----!';
        const expected = '   -----#';

        expectObservable(source.pipe(priorityBuffer({ priority, demand }))).toBe(expected);
        expectSubscriptions(demand.subscriptions).toBe(demandSubs);
      });
    });

    it('should stop listening to demand when unsubscribed, and release nothing afterwards', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('-x-y------');
        const demand = hot('------1-1-', credits);
        const unsub = '     ----!';
        const subs = '      ^---!';
        const expected = '  ----------';

        expectObservable(source.pipe(priorityBuffer({ priority, demand })), unsub).toBe(expected);
        expectSubscriptions(demand.subscriptions).toBe(subs);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should give each subscription a buffer of its own', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-a-b-c-');
        const demandOne = cold('--1', credits);
        const demandTwo = cold('------1', credits);

        expectObservable(source.pipe(priorityBuffer({ priority, demand: demandOne }))).toBe('--a----');
        expectObservable(source.pipe(priorityBuffer({ priority, demand: demandTwo }))).toBe('------b');
      });
    });
  });

  describe('fillQueue (the buffer half of prioritySlots)', () => {
    const byPriority = (x: string, y: string): number => priority(y) - priority(x);

    it('should emit an item only when queue.pull() is called, best first', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const queue = new PullQueue<string>(byPriority);
        const source = hot('-a-b-c--------');
        const pulls = cold('------p---p-p');
        const expected = '  ------b---c-a';

        expectObservable(source.pipe(fillQueue(queue))).toBe(expected);
        pulls.subscribe(() => queue.pull());
      });
    });

    it('should keep arrivals in the queue, not emit them', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const queue = new PullQueue<string>(byPriority);
        const source = hot('-a-b-c-');
        const expected = '  -------';

        expectObservable(source.pipe(fillQueue(queue))).toBe(expected);
        hot('------s').subscribe(() => expect(queue.size).toBe(3));
      });
    });

    it('should complete only when the source completed and the queue is drained', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const queue = new PullQueue<string>(byPriority);
        const source = hot('-x-y|-------');
        const pulls = cold('-------p-p');
        const expected = '  -------x-(y|)';

        expectObservable(source.pipe(fillQueue(queue))).toBe(expected);
        pulls.subscribe(() => queue.pull());
      });
    });

    it.each([
      ['removed', (queue: BufferQueue<string>, item: string) => queue.remove(item)],
      ['taken', (queue: BufferQueue<string>) => void queue.take()],
    ])('should complete when the last waiting items are %s after the source completed', (_, takeOut) => {
      testScheduler.run(({ hot, cold, expectObservable }) => {
        const queue = new PullQueue<string>(byPriority);
        const source = hot('-x-y|-------');
        const out = cold('  ------a-b');
        const expected = '  --------|';

        expectObservable(source.pipe(fillQueue(queue))).toBe(expected);
        out.subscribe((which) => takeOut(queue, which === 'a' ? 'x' : 'y'));
      });
    });

    it('should complete with the source when the queue is empty', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const queue = new PullQueue<string>(byPriority);
        const source = hot('---|');
        const expected = '  ---|';

        expectObservable(source.pipe(fillQueue(queue))).toBe(expected);
      });
    });

    it('should pass a source error at once, even with items waiting', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const queue = new PullQueue<string>(byPriority);
        const source = hot('-x-y-#');
        const subs = '      ^----!';
        const expected = '  -----#';

        expectObservable(source.pipe(fillQueue(queue))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('should disconnect from the queue when unsubscribed, leaving its items there', () => {
      const pulled: boolean[] = [];
      let queue = new PullQueue<string>(byPriority);
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        queue = new PullQueue<string>(byPriority);
        const source = hot('-x-y-----');
        const unsub = '     ----!';
        const subs = '      ^---!';
        const expected = '  ---------';

        expectObservable(source.pipe(fillQueue(queue)), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        cold('------p').subscribe(() => pulled.push(queue.pull()));
      });

      expect(pulled).toEqual([false]);
      expect(queue.size).toBe(2);
    });
  });

  describe('options', () => {
    it('should throw a TypeError at creation when demand is not an Observable', () => {
      expect(() => priorityBuffer({ demand: 3 as never })).toThrow(
        new InvalidOptionError('demand', 'an Observable of numbers', 3),
      );
    });

    it('should throw a TypeError at creation when priority is not a function', () => {
      expect(() => priorityBuffer({ demand: new Subject<number>(), priority: 1 as never })).toThrow(TypeError);
    });

    it('should throw a TypeError at creation when queue is not a PullQueue or LevelQueue', () => {
      expect(() => prioritySlots({ queue: {} as never, servers: ['s'], work: () => [] })).toThrow(new InvalidOptionError('queue', 'a PullQueue or LevelQueue', {}));
      expect(() => priorityBuffer({ queue: new PullQueue<string>(() => 0) } as never)).toThrow(/prioritySlots/);
    });
  });
});

describe('priorityBuffer with a synchronous source', () => {
  it('should stop listening to a synchronous observable when unsubscribed', () => {
    const seen: number[] = [];
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 1000 && !subscriber.closed; i++) {
        seen.push(i);
        subscriber.next(i);
      }
    });
    const demand = new BehaviorSubject(Infinity);
    const out: number[] = [];
    source.pipe(priorityBuffer({ demand }), take(3)).subscribe((v) => out.push(v));
    expect(out).toEqual([0, 1, 2]);
    expect(seen.length).toBeLessThanOrEqual(4);
  });
});
