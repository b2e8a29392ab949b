import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { PullQueue } from '../../src/queues/pullQueue.js';

/** What the task manager queues: a lane (0 = commands), a priority (higher first) and an arrival number. */
interface Item {
  readonly id: string;
  readonly lane: number;
  readonly priority: number;
  readonly seq: number;
}

// The manager's comparator: lane, then priority (higher first), then arrival (FIFO).
const compare = (a: Item, b: Item): number => a.lane - b.lane || b.priority - a.priority || a.seq - b.seq;

let seq = 0;
const item = (id: string, priority = 0, lane = 1): Item => ({ id, lane, priority, seq: seq++ });

/** Pulls everything out through a connected sink and returns the ids in leaving order. */
function drain(queue: PullQueue<Item>): string[] {
  const out: string[] = [];
  const disconnect = queue.connect((pulled) => out.push(pulled.id));
  while (queue.pull()) {
    // keep pulling
  }
  disconnect();
  return out;
}

describe('PullQueue', () => {
  let queue: PullQueue<Item>;

  beforeEach(() => {
    seq = 0;
    queue = new PullQueue<Item>(compare);
  });

  describe('order', () => {
    it('should release higher priorities first', () => {
      queue.push(item('low', 1));
      queue.push(item('high', 9));
      queue.push(item('mid', 5));

      expect(drain(queue)).toEqual(['high', 'mid', 'low']);
    });

    it('should release equal priorities in arrival order (FIFO)', () => {
      for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) queue.push(item(id, 3));

      expect(drain(queue)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    });

    it('should release the command lane before any priority of the task lane', () => {
      queue.push(item('task-urgent', 100, 1));
      queue.push(item('command-low', -5, 0));
      queue.push(item('task-normal', 0, 1));
      queue.push(item('command-high', 7, 0));

      expect(drain(queue)).toEqual(['command-high', 'command-low', 'task-urgent', 'task-normal']);
    });

    it('should order items pushed while draining among the ones still waiting', () => {
      queue.push(item('a', 1));
      queue.push(item('b', 1));
      const out: string[] = [];
      queue.connect((pulled) => {
        out.push(pulled.id);
        if (pulled.id === 'a') queue.push(item('urgent', 9));
      });
      while (queue.pull()) {
        // keep pulling
      }

      expect(out).toEqual(['a', 'urgent', 'b']);
    });
  });

  describe('remove()', () => {
    it('should never deliver a removed head, and shrink size at once', () => {
      const head = item('head', 9);
      queue.push(head);
      queue.push(item('b', 5));
      queue.push(item('c', 1));

      queue.remove(head);

      expect(queue.size).toBe(2);
      expect(queue.peek()?.id).toBe('b');
      expect(drain(queue)).toEqual(['b', 'c']);
    });

    it('should never deliver a removed item from the middle', () => {
      const middle = item('middle', 5);
      queue.push(item('a', 9));
      queue.push(middle);
      queue.push(item('c', 1));

      queue.remove(middle);

      expect(queue.size).toBe(2);
      expect(drain(queue)).toEqual(['a', 'c']);
    });

    it('should never deliver a removed last item', () => {
      const last = item('last', 1);
      queue.push(item('a', 9));
      queue.push(item('b', 5));
      queue.push(last);

      queue.remove(last);

      expect(queue.size).toBe(2);
      expect(drain(queue)).toEqual(['a', 'b']);
    });

    it('should be empty after removing the only item', () => {
      const only = item('only');
      queue.push(only);

      queue.remove(only);

      expect(queue.size).toBe(0);
      expect(queue.peek()).toBeUndefined();
      expect(drain(queue)).toEqual([]);
    });

    it('should deliver an item pushed again after it was removed, once', () => {
      const again = item('again', 2);
      queue.push(again);
      queue.push(item('other', 1));
      queue.remove(again);

      queue.push(again);

      expect(queue.size).toBe(2);
      expect(drain(queue)).toEqual(['again', 'other']);
    });
  });

  describe('pull()', () => {
    it('should return false and keep the item when no sink is connected', () => {
      queue.push(item('a'));

      expect(queue.pull()).toBe(false);
      expect(queue.size).toBe(1);
      expect(queue.peek()?.id).toBe('a');
    });

    it('should return false on an empty queue without calling the sink', () => {
      const out: Item[] = [];
      queue.connect((pulled) => out.push(pulled));

      expect(queue.pull()).toBe(false);
      expect(out).toEqual([]);
    });

    it('should hand exactly one item to the sink per call', () => {
      const out: string[] = [];
      queue.connect((pulled) => out.push(pulled.id));
      queue.push(item('a', 2));
      queue.push(item('b', 1));

      expect(queue.pull()).toBe(true);
      expect(out).toEqual(['a']);
      expect(queue.size).toBe(1);
    });

    it('should stop delivering after the sink disconnects', () => {
      const out: string[] = [];
      const disconnect = queue.connect((pulled) => out.push(pulled.id));
      queue.push(item('a'));
      disconnect();

      expect(queue.pull()).toBe(false);
      expect(out).toEqual([]);
      expect(queue.size).toBe(1);
    });

    it('should keep a newer sink connected when an older one disconnects', () => {
      const older: string[] = [];
      const newer: string[] = [];
      const disconnectOlder = queue.connect((pulled) => older.push(pulled.id));
      queue.connect((pulled) => newer.push(pulled.id));
      disconnectOlder();
      queue.push(item('a'));

      expect(queue.pull()).toBe(true);
      expect(older).toEqual([]);
      expect(newer).toEqual(['a']);
    });
  });

  describe('connected', () => {
    it('should say whether a consumer is connected', () => {
      expect(queue.connected).toBe(false);

      const disconnect = queue.connect(() => undefined);
      expect(queue.connected).toBe(true);

      disconnect();
      expect(queue.connected).toBe(false);
    });
  });

  describe('take()', () => {
    it('should take the head out without a sink', () => {
      queue.push(item('a', 1));
      queue.push(item('b', 2));

      expect(queue.take()?.id).toBe('b');
      expect(queue.size).toBe(1);
      expect(queue.take()?.id).toBe('a');
      expect(queue.take()).toBeUndefined();
      expect(queue.size).toBe(0);
    });
  });

  describe('watch()', () => {
    it('should fire only when an item arrives in an empty queue', () => {
      let fired = 0;
      queue.watch(() => fired++);

      queue.push(item('a'));
      queue.push(item('b'));
      expect(fired).toBe(1);

      drain(queue);
      queue.push(item('c'));
      expect(fired).toBe(2);
    });

    it('should fire again when the queue was emptied by remove()', () => {
      let fired = 0;
      queue.watch(() => fired++);
      const a = item('a');
      queue.push(a);
      queue.remove(a);

      queue.push(item('b'));

      expect(fired).toBe(2);
    });

    it('should not fire after the watcher is disconnected', () => {
      let fired = 0;
      const unwatch = queue.watch(() => fired++);
      unwatch();

      queue.push(item('a'));

      expect(fired).toBe(0);
    });

    it('should see the new item when it fires (the watcher may pull it at once)', () => {
      const out: string[] = [];
      queue.connect((pulled) => out.push(pulled.id));
      queue.watch(() => queue.pull());

      queue.push(item('a'));

      expect(out).toEqual(['a']);
      expect(queue.size).toBe(0);
    });
  });

  describe('against a stable sort (property)', () => {
    type Op =
      | { readonly type: 'push'; readonly lane: number; readonly priority: number }
      | { readonly type: 'remove'; readonly index: number }
      | { readonly type: 'pull' };

    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ type: fc.constant('push' as const), lane: fc.integer({ min: 0, max: 1 }), priority: fc.integer({ min: -2, max: 2 }) }), weight: 4 },
      { arbitrary: fc.record({ type: fc.constant('remove' as const), index: fc.nat() }), weight: 1 },
      { arbitrary: fc.constant({ type: 'pull' as const }), weight: 2 },
    );

    it('should pull in stable-sort order with random removals', () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
          const q = new PullQueue<Item>(compare);
          const pulled: Item[] = [];
          q.connect((x) => pulled.push(x));
          // The model: live items in arrival order; the next to leave is the first of a stable sort.
          let live: Item[] = [];
          let n = 0;
          const stableHead = (): Item | undefined =>
            [...live].sort((a, b) => a.lane - b.lane || b.priority - a.priority)[0];
          for (const o of ops) {
            if (o.type === 'push') {
              const x: Item = { id: `i${n}`, lane: o.lane, priority: o.priority, seq: n++ };
              q.push(x);
              live.push(x);
            } else if (o.type === 'remove') {
              if (live.length === 0) continue;
              const victim = live[o.index % live.length] as Item;
              q.remove(victim);
              live = live.filter((x) => x !== victim);
            } else {
              const expected = stableHead();
              expect(q.peek()).toBe(expected);
              expect(q.pull()).toBe(expected !== undefined);
              if (expected !== undefined) {
                expect(pulled.at(-1)).toBe(expected);
                live = live.filter((x) => x !== expected);
              }
            }
            expect(q.size).toBe(live.length);
          }
          // What is left drains in stable-sort order too.
          const rest = [...live].sort((a, b) => a.lane - b.lane || b.priority - a.priority);
          const before = pulled.length;
          while (q.pull()) {
            // keep pulling
          }
          expect(pulled.slice(before)).toEqual(rest);
          expect(q.size).toBe(0);
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('PullQueue memory', () => {
  it('should drop removed items that have not surfaced once they outnumber the waiting ones', () => {
    const queue = new PullQueue<number>((a, b) => a - b);
    for (let i = 0; i < 10_000; i++) queue.push(i);
    for (let i = 100; i < 10_000; i++) queue.remove(i);
    expect(queue.size).toBe(100);
    expect(queue.held).toBeLessThanOrEqual(2 * 100 + 65);
    const order: number[] = [];
    queue.connect((item) => order.push(item));
    while (queue.pull());
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
