import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRanked, LevelQueue, type Ranked } from '../../src/queues/levelQueue.js';

interface Item extends Ranked {
  readonly name: string;
}

const item = (name: string, priority: number, seq: number, lane = 1): Item => ({ name, lane, priority, seq });

function drain(queue: LevelQueue<Item>): string[] {
  const out: string[] = [];
  queue.connect((i) => out.push(i.name));
  while (queue.pull());
  return out;
}

describe('LevelQueue', () => {
  it('should release by lane, then priority (higher first), then sequence', () => {
    const q = new LevelQueue<Item>();
    for (const i of [item('low1', 1, 0), item('high', 9, 1), item('low2', 1, 2), item('cmd', 0, 3, 0), item('neg', -5, 4), item('mid', 4.5, 5)]) q.push(i);
    expect(q.peek()?.name).toBe('cmd');
    expect(drain(q)).toEqual(['cmd', 'high', 'mid', 'low1', 'low2', 'neg']);
    expect(q.size).toBe(0);
  });

  it('should put a re-entering item (lower sequence than the tail) back in its submission order', () => {
    const q = new LevelQueue<Item>();
    q.push(item('b', 1, 5));
    q.push(item('c', 1, 6));
    q.push(item('a-retry', 1, 2));
    q.push(item('d', 1, 7));
    expect(drain(q)).toEqual(['a-retry', 'b', 'c', 'd']);
  });

  it('should skip removed items wherever they are, and keep size right', () => {
    const q = new LevelQueue<Item>();
    const items = [item('a', 1, 0), item('b', 3, 1), item('c', 1, 2), item('d', 3, 3)];
    items.forEach((i) => q.push(i));
    q.remove(items[1] as Item);
    q.remove(items[2] as Item);
    expect(q.size).toBe(2);
    expect(q.peek()?.name).toBe('d');
    expect(drain(q)).toEqual(['d', 'a']);
  });

  it('should tell the watcher only when an item arrives in an empty queue', () => {
    const q = new LevelQueue<Item>();
    let filled = 0;
    q.watch(() => filled++);
    q.push(item('a', 1, 0));
    q.push(item('b', 1, 1));
    expect(filled).toBe(1);
    drain(q);
    q.push(item('c', 1, 2));
    expect(filled).toBe(2);
  });

  it('should not pull without a consumer, and take() without delivering', () => {
    const q = new LevelQueue<Item>();
    q.push(item('a', 1, 0));
    expect(q.connected).toBe(false);
    expect(q.pull()).toBe(false);
    expect(q.take()?.name).toBe('a');
    expect(q.take()).toBeUndefined();
  });

  it('should match a stable sort by (lane, priority, seq) under random pushes, removals and pulls', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ lane: fc.integer({ min: 0, max: 1 }), priority: fc.integer({ min: -3, max: 3 }), op: fc.integer({ min: 0, max: 9 }) }), { maxLength: 300 }),
        (ops) => {
          const q = new LevelQueue<Item>();
          const model: Item[] = [];
          const out: string[] = [];
          const expected: string[] = [];
          q.connect((i) => out.push(i.name));
          ops.forEach((op, seq) => {
            if (op.op < 6) {
              const i = item(`i${seq}`, op.priority, seq, op.lane);
              q.push(i);
              model.push(i);
            } else if (op.op < 8 && model.length > 0) {
              const [removed] = model.splice(seq % model.length, 1);
              q.remove(removed as Item);
            } else if (model.length > 0) {
              model.sort(compareRanked);
              expected.push((model.shift() as Item).name);
              q.pull();
            }
            expect(q.size).toBe(model.length);
          });
          model.sort(compareRanked);
          while (q.pull());
          expect(out).toEqual([...expected, ...model.map((i) => i.name)]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LevelQueue memory', () => {
  it('should drop cancelled items behind a front that does not move, keeping what it holds proportional to what waits', () => {
    const queue = new LevelQueue<{ lane: number; priority: number; seq: number }>();
    const items = Array.from({ length: 10_000 }, (_, seq) => ({ lane: 1, priority: seq % 3, seq }));
    for (const item of items) queue.push(item);
    // Nobody pulls (a paused budget): every cancel lands behind a front that stays put.
    for (const item of items.slice(100)) queue.remove(item);
    expect(queue.size).toBe(100);
    expect(queue.held).toBeLessThanOrEqual(3 * (100 + 64 * 2));
    const order: number[] = [];
    queue.connect((item) => order.push(item.seq));
    while (queue.pull());
    expect(order).toEqual(items.slice(0, 100).sort((a, b) => b.priority - a.priority || a.seq - b.seq).map((i) => i.seq));
  });

  it('should list exactly the live items with items(), re-entered ones included and removed ones left out', () => {
    const q = new LevelQueue<Item>();
    const [a, b, c, late, gone] = [item('a', 1, 1), item('b', 2, 2), item('c', 1, 3), item('late', 1, 0), item('gone', 2, 4)];
    for (const i of [a, b, c, late, gone]) q.push(i);
    q.remove(gone);
    expect(q.take()?.name).toBe('b');
    expect([...q.items()].map((i) => i.name).sort()).toEqual(['a', 'c', 'late']);
    expect(q.size).toBe(3);
  });
});
