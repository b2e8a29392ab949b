import { config as rxjsConfig, NEVER, of, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import type { Overflowed } from '../../src/operators/boundedQueue.js';
import { priorityBuffer } from '../../src/operators/priorityBuffer.js';
import { prioritySlots } from '../../src/operators/prioritySlots.js';
import { LevelQueue } from '../../src/queues/levelQueue.js';
import { PullQueue } from '../../src/queues/pullQueue.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';

interface Job {
  readonly name: string;
  readonly lane: number;
  readonly priority: number;
  readonly seq: number;
}

let seq = 0;
const job = (name: string, priority = 0, lane = 1): Job => ({ name, lane, priority, seq: seq++ });
/** What onOverflow heard, as `QueueFull:d` / `Dropped:c`. */
const heard = (events: Overflowed<Job>[]): string[] => events.map((e) => `${e._tag}:${e.item.name}`);

describe('prioritySlots and priorityBuffer with maxQueued', () => {
  let rx: TestScheduler;
  beforeEach(() => {
    rx = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  afterEach(() => {
    rxjsConfig.onUnhandledError = null;
  });

  /** One server, one slot, 10 ms per job: a fast source fills the queue at once. */
  const slots = (extra: { maxQueued: number; overflow?: 'reject' | 'drop-oldest'; onOverflow?: (e: Overflowed<Job>) => void }) =>
    prioritySlots<Job, string>({
      queue: new LevelQueue<Job>(),
      servers: ['s'],
      coordinator: localSlotCoordinator({ defaultLimit: 1 }),
      work: (j) => rx.createColdObservable('10ms (r|)', { r: j.name }),
      ...extra,
    });

  it('should refuse newcomers to a full queue under reject, and run the ones it kept', () => {
    const events: Overflowed<Job>[] = [];
    rx.run(({ hot, expectObservable }) => {
      const source = hot('abcde|', { a: job('a'), b: job('b'), c: job('c'), d: job('d'), e: job('e') });
      // a starts at once; b and c wait (the bound); d and e are refused.
      expectObservable(source.pipe(slots({ maxQueued: 2, onOverflow: (e) => events.push(e) }))).toBe('10ms a 9ms b 9ms (c|)', { a: 'a', b: 'b', c: 'c' });
    });
    expect(heard(events)).toEqual(['QueueFull:d', 'QueueFull:e']);
    expect(events[0]).toEqual({ _tag: 'QueueFull', item: expect.objectContaining({ name: 'd' }), maxQueued: 2 });
  });

  it('should drop the oldest of the lowest priority under drop-oldest, and refuse a newcomer lower than every waiting item', () => {
    const events: Overflowed<Job>[] = [];
    rx.run(({ hot, expectObservable }) => {
      const jobs = { a: job('a', 5), b: job('b', 1), c: job('c', 0), d: job('d', 0), e: job('e', 2), f: job('f', -1) };
      const source = hot('abcdef|', jobs);
      // a runs; b(1) c(0) d(0) wait; e(2) evicts c (lowest, older than d); f(-1) is lower than all: refused.
      const output = source.pipe(slots({ maxQueued: 3, overflow: 'drop-oldest', onOverflow: (e) => events.push(e) }));
      expectObservable(output).toBe('10ms a 9ms e 9ms b 9ms (d|)', { a: 'a', b: 'b', d: 'd', e: 'e' });
    });
    expect(heard(events)).toEqual(['Dropped:c', 'QueueFull:f']);
  });

  it('should never refuse or drop a command', () => {
    const events: Overflowed<Job>[] = [];
    rx.run(({ hot, expectObservable }) => {
      const jobs = { a: job('a'), b: job('b'), x: job('x', 0, 0), y: job('y', 0, 0), c: job('c') };
      const source = hot('abxyc|', jobs);
      // b fills the bound; x and y go in past it; c evicts b, never a command.
      const output = source.pipe(slots({ maxQueued: 1, overflow: 'drop-oldest', onOverflow: (e) => events.push(e) }));
      expectObservable(output).toBe('10ms a 9ms x 9ms y 9ms (c|)', { a: 'a', x: 'x', y: 'y', c: 'c' });
    });
    expect(heard(events)).toEqual(['Dropped:b']);
  });

  it('should go on unchanged when onOverflow throws, reporting the error to onUnhandledError', () => {
    const reported: unknown[] = [];
    rxjsConfig.onUnhandledError = (error) => reported.push(error);
    const boom = new Error('hook');
    rx.run(({ hot, expectObservable }) => {
      const source = hot('abcd|', { a: job('a'), b: job('b'), c: job('c'), d: job('d') });
      const output = source.pipe(slots({ maxQueued: 1, onOverflow: () => { throw boom; } }));
      expectObservable(output).toBe('10ms a 9ms (b|)', { a: 'a', b: 'b' });
    });
    expect(reported).toEqual([boom, boom]);
  });

  it('should take an item that onOverflow feeds back into the source (re-entrant), once the queue is settled', () => {
    const source = new Subject<Job>();
    const queue = new LevelQueue<Job>();
    const started: string[] = [];
    const events: Overflowed<Job>[] = [];
    source
      .pipe(
        prioritySlots<Job, never>({
          queue,
          servers: ['s'],
          coordinator: localSlotCoordinator({ defaultLimit: 1 }),
          work: (j) => {
            started.push(j.name);
            return NEVER;
          },
          maxQueued: 1,
          onOverflow: (e) => {
            events.push(e);
            // Resubmit the refused job as a command: admitted past the bound, inside the callback.
            if (e.item.lane === 1) source.next(job(`${e.item.name}!`, 0, 0));
          },
        }),
      )
      .subscribe();
    for (const name of ['a', 'b', 'c']) source.next(job(name));
    expect(started).toEqual(['a']);
    expect(heard(events)).toEqual(['QueueFull:c']);
    expect([...queue.items()].map((j) => j.name).sort()).toEqual(['b', 'c!']);
  });

  it('should bound priorityBuffer the same way: the dropped value is the item given', () => {
    const events: Overflowed<{ n: number }>[] = [];
    rx.run(({ hot, cold, expectObservable }) => {
      const items = { a: { n: 1 }, b: { n: 0 }, c: { n: 2 }, d: { n: 0 } };
      const source = hot('abcd|', items);
      const demand = cold('10ms (x|)', { x: Infinity });
      const output = source.pipe(priorityBuffer({ priority: (i) => i.n, demand, maxQueued: 2, overflow: 'drop-oldest', onOverflow: (e) => events.push(e) }));
      // a, b wait; c evicts b; d (0) is lower than a (1) and c (2): refused.
      expectObservable(output).toBe('10ms (ca|)', { a: items.a, c: items.c });
    });
    expect(events.map((e) => `${e._tag}:${e.item.n}`)).toEqual(['Dropped:0', 'QueueFull:0']);
  });

  it('should check the options at the boundary with InvalidOptionError', () => {
    const base = { queue: new LevelQueue<Job>(), servers: ['s'], work: () => of(1) };
    expect(() => prioritySlots({ ...base, maxQueued: 0 })).toThrow(InvalidOptionError);
    expect(() => prioritySlots({ ...base, maxQueued: 1.5 })).toThrow(InvalidOptionError);
    expect(() => prioritySlots({ ...base, maxQueued: 2, overflow: 'drop-newest' as 'reject' })).toThrow(InvalidOptionError);
    expect(() => prioritySlots({ ...base, maxQueued: 2, onOverflow: 'log' as unknown as () => void })).toThrow(InvalidOptionError);
    expect(() => prioritySlots({ ...base, queue: new PullQueue<Job>((a, b) => a.priority - b.priority), maxQueued: 2, overflow: 'drop-oldest' })).toThrow(/LevelQueue/);
    expect(() => priorityBuffer({ demand: of(1), maxQueued: -1 })).toThrow(InvalidOptionError);
  });
});
