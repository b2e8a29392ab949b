import { Observable, type Subscriber } from 'rxjs';
import { check } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { prioritySlots, type PrioritySlotsConfig } from './prioritySlots.js';

export interface PullSlotsConfig<T, R> extends PrioritySlotsConfig<T, R> {
  /** Items taken from the source and not started yet: at most this many (an integer ≥ 1). */
  readonly maxQueued: number;
}

/**
 * Runs the items of an iterable on server slots, taking the next item from it only when the queue
 * has room: real backpressure, as a pull.
 *
 * <span class="informal">{@link prioritySlots} over a source that waits: at most `maxQueued` items
 * wait in the queue, and the source is asked for more only when one of them starts.</span>
 *
 * The source is an `Iterable` (a generator, an array) or an `AsyncIterable` (a database cursor,
 * the lines of a file): something that is asked for each item, so it can be made to wait. An
 * Observable pushes and cannot be: for it, bound the queue where items are offered (the task
 * manager's `maxQueued` with its overflow policy refuses or drops instead of waiting).
 *
 * Rule: items are taken while fewer than `maxQueued` wait in `queue`; an item that arrives while a
 * server has room starts at once and does not count. So at any moment the items taken number at
 * most `maxQueued` + the items running + the items finished: an endless source is never drained,
 * and `take(n)` downstream ends it (the iterator's `return` runs, so a generator's `finally` does).
 * Among the waiting items, the queue's order holds (priority, FIFO). An item taken out of `queue`
 * with `remove` frees its place at the next start. An `AsyncIterable` is asked for one item at a
 * time. The output completes when the source is done and every item has run; an error of the
 * source (thrown by the iterator) errors it.
 *
 * ## Example
 * ```ts
 * import { pullSlots, PullQueue } from 'smt-rx/operators';
 * import { localSlotCoordinator } from 'smt-rx';
 *
 * declare const rows: AsyncIterable<{ readonly url: string }>; // e.g. a database cursor
 * pullSlots(rows, {
 *   maxQueued: 100, // at most 100 rows read ahead of the servers
 *   queue: new PullQueue(() => 0),
 *   servers: ['https://fetch-1.example.com', 'https://fetch-2.example.com'],
 *   coordinator: localSlotCoordinator({ defaultLimit: 4 }),
 *   work: (row, { server }) => fetch(`${server}/get?url=${encodeURIComponent(row.url)}`).then((r) => r.status),
 * }).subscribe(console.log);
 * ```
 *
 * @see {@link prioritySlots}
 *
 * @param items The source, asked for one item at a time.
 * @param config `maxQueued`, and what {@link prioritySlots} takes.
 * @returns An Observable of the values of each item's work.
 */
export function pullSlots<T, R>(items: Iterable<T> | AsyncIterable<T>, config: PullSlotsConfig<T, R>): Observable<R> {
  if (items === null || typeof items !== 'object' || !(Symbol.iterator in items || Symbol.asyncIterator in items)) {
    throw new InvalidOptionError('items', 'an Iterable or an AsyncIterable', items);
  }
  if (config === null || typeof config !== 'object') throw new InvalidOptionError('config', 'an object with `maxQueued`, `queue`, `servers` and `work`', config);
  check('maxQueued', config.maxQueued, (v) => (Number.isSafeInteger(v) && (v as number) >= 1 ? undefined : 'an integer from 1 and up'));
  const { maxQueued, queue, work } = config;
  return new Observable<R>((subscriber) => {
    const puller = new Puller(items, () => queue.size < maxQueued);
    // A start takes an item out of the queue: room for the next one.
    const slots = prioritySlots<T, R>({
      ...config,
      work: (item, lease) => {
        const input = work(item, lease);
        puller.refill();
        return input;
      },
    });
    const subscription = slots(puller.source).subscribe(subscriber);
    return () => subscription.unsubscribe();
  });
}

/** Asks an iterable for items while `hasRoom()`, and pushes them into the one subscriber of `source`. */
class Puller<T> {
  readonly source: Observable<T>;
  #refill: (() => void) | undefined = undefined;

  constructor(items: Iterable<T> | AsyncIterable<T>, hasRoom: () => boolean) {
    this.source = new Observable<T>((subscriber) => {
      const pull = Symbol.iterator in items ? pullSync(items, subscriber, hasRoom) : pullAsync(items, subscriber, hasRoom);
      this.#refill = pull.refill;
      pull.refill();
      return () => {
        this.#refill = undefined;
        pull.stop();
      };
    });
  }

  refill(): void {
    this.#refill?.();
  }
}

interface Pull {
  refill(): void;
  stop(): void;
}

function pullSync<T>(items: Iterable<T>, subscriber: Subscriber<T>, hasRoom: () => boolean): Pull {
  const iterator = items[Symbol.iterator]();
  let done = false;
  // A refill asked for while one runs (an item that started at once) loops in the running one.
  let busy = false;
  let again = false;
  const refill = (): void => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        while (!done && !subscriber.closed && hasRoom()) {
          const next = iterator.next();
          if (next.done === true) {
            done = true;
            subscriber.complete();
          } else {
            subscriber.next(next.value);
          }
        }
      } while (again && !done && !subscriber.closed);
    } catch (error) {
      done = true;
      subscriber.error(error);
    } finally {
      busy = false;
    }
  };
  return {
    refill,
    stop: () => {
      if (done) return;
      done = true;
      try {
        iterator.return?.();
      } catch {
        // The output is gone: nobody to tell.
      }
    },
  };
}

function pullAsync<T>(items: AsyncIterable<T>, subscriber: Subscriber<T>, hasRoom: () => boolean): Pull {
  const iterator = items[Symbol.asyncIterator]();
  let done = false;
  // One item asked for at a time.
  let asking = false;
  const refill = (): void => {
    if (asking || done || subscriber.closed || !hasRoom()) return;
    asking = true;
    iterator.next().then(
      (next) => {
        asking = false;
        if (done || subscriber.closed) return;
        if (next.done === true) {
          done = true;
          subscriber.complete();
          return;
        }
        subscriber.next(next.value);
        refill();
      },
      (error: unknown) => {
        asking = false;
        done = true;
        subscriber.error(error);
      },
    );
  };
  return {
    refill,
    stop: () => {
      if (done) return;
      done = true;
      void iterator.return?.()?.then(undefined, () => undefined);
    },
  };
}
