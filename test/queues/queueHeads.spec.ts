import { describe, expect, it } from 'vitest';
import { compareRanked, LevelQueue, type Ranked } from '../../src/queues/levelQueue.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import type { BufferQueue } from '../../src/queues/slotQueue.js';

// The slot broker checks bids against the head it was last told about, so both queue strategies
// must report every head change that is not a pull (the broker's own move).

interface Item extends Ranked {
  readonly name: string;
}

const strategies: Array<[string, () => BufferQueue<Item>]> = [
  ['LevelQueue', () => new LevelQueue<Item>()],
  ['PullQueue', () => new PullQueue<Item>(compareRanked)],
];

describe.each(strategies)('%s head watching', (_, create) => {
  let seq = 0;
  const item = (name: string, priority: number): Item => ({ name, lane: 1, priority, seq: seq++ });

  function watched() {
    const queue = create();
    const log: string[] = [];
    queue.connect(() => undefined);
    queue.watch(
      () => log.push(`filled:${queue.peek()?.name}`),
      () => log.push(`head:${queue.peek()?.name}`),
    );
    return { queue, log };
  }

  it('should report an arrival ahead of the head, and not one behind it', () => {
    const { queue, log } = watched();
    queue.push(item('a', 1));
    queue.push(item('b', 0));
    queue.push(item('c', 5));
    expect(log).toEqual(['filled:a', 'head:c']);
  });

  it('should report the head removed, with the new head in place, and not another item removed', () => {
    const { queue, log } = watched();
    const a = item('a', 5);
    const b = item('b', 3);
    const c = item('c', 1);
    [a, b, c].forEach((i) => queue.push(i));
    log.length = 0;
    queue.remove(b);
    expect(log).toEqual([]);
    queue.remove(a);
    expect(log).toEqual(['head:c']);
    // Emptied: the head left too (a budget held for it must be freed); the next arrival fills it again.
    queue.remove(c);
    expect(log).toEqual(['head:c', 'head:undefined']);
    queue.push(item('d', 0));
    expect(log).toEqual(['head:c', 'head:undefined', 'filled:d']);
  });

  it('should report an arrival that becomes the head behind a removed item of its level', () => {
    const queue = create();
    let heads = 0;
    queue.connect(() => undefined);
    // A watcher that does not look at the queue: the removed item stays where it was.
    queue.watch(() => undefined, () => heads++);
    const a = item('a', 5);
    queue.push(a);
    queue.push(item('z', 3));
    queue.remove(a);
    expect(heads).toBe(1);
    const c = item('c', 5);
    queue.push(c);
    expect(heads).toBe(2);
    expect(queue.peek()).toBe(c);
  });

  it('should report a take() and not a pull()', () => {
    const { queue, log } = watched();
    queue.push(item('a', 5));
    queue.push(item('b', 3));
    queue.push(item('c', 1));
    log.length = 0;
    queue.pull();
    expect(log).toEqual([]);
    expect(queue.take()?.name).toBe('b');
    expect(log).toEqual(['head:c']);
  });
});
