import { asyncScheduler, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { check, checkOptional, expectFunction, expectScheduler } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { boundedPush, checkOverflowConfig, type OverflowConfig } from './boundedQueue.js';
import { operate } from './operate.js';
import { subscribeToSource } from './sourceObserver.js';
import { LevelQueue, type Ranked } from '../queues/levelQueue.js';
import { checkAgingMs, PriorityAging } from '../queues/priorityAging.js';
import type { BufferQueue } from '../queues/slotQueue.js';

/** Options of the self-contained form: items are ranked by functions, demand comes as credits. */
export interface PriorityBufferConfig<T> extends OverflowConfig<T> {
  /** The item's priority: higher leaves first, FIFO among equals. @default () => 0 */
  readonly priority?: (item: T) => number;
  /** Items for which this is true take the command lane, ahead of every other item. */
  readonly isCommand?: (item: T) => boolean;
  /**
   * Credits: each number n emitted lets the buffer release up to n more items (fractions add up;
   * `Infinity` releases everything; zero, negative and NaN credits are ignored).
   */
  readonly demand: Observable<number>;
  /**
   * Priority aging: a waiting item rises one priority level per `agingMs` on the scheduler's clock
   * (at every multiple of `agingMs` since the subscription), so a steady stream of higher items
   * cannot hold a lower one back forever. Commands do not age (they go first anyway). Absent: no
   * aging, and nothing is paid for it.
   */
  readonly agingMs?: number;
  /** The clock aging reads (only with `agingMs`). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Holds items in a heap and releases them only on demand, best first.
 *
 * <span class="informal">A priority queue as an operator: it turns "whatever arrives" into
 * "the most urgent waiting item, when there is room for one".</span>
 *
 * Items are ordered by lane (commands first), then priority (higher first), then arrival (FIFO).
 * Nothing leaves without demand, so the queue lives in the heap and never in a downstream
 * operator's FIFO buffer (as it would behind `mergeMap(fn, n)`).
 *
 * `demand` emits credits; unused credits are kept, so an item arriving while credit is left is
 * released at once.
 *
 * With `agingMs`, an item's effective priority is its priority plus one level per `agingMs` it has
 * waited, counted on a grid: at every multiple of `agingMs` after the subscription, every waiting
 * item rises one level (after a wait of `w` ms it has risen `floor(w / agingMs)` or one more).
 * Ties go to the earlier item. A lower item therefore passes every higher item that arrives more
 * than `(higher - lower) * agingMs` after it. The grid keeps the order of waiting items fixed, so
 * aging needs no timer: each item is ranked once, on arrival. To release items as server slots free, use {@link prioritySlots}: the buffer
 * and the slots in one operator.
 *
 * With `maxQueued`, at most that many items wait; `overflow` and `onOverflow` are as in
 * {@link prioritySlots} (commands are never refused or dropped).
 *
 * The output completes when the source has completed and every item has been released; source
 * errors pass through at once.
 *
 * ## Example
 * ```ts
 * import { Subject, type Observable } from 'rxjs';
 * import { priorityBuffer } from 'smt-rx/operators';
 *
 * declare const jobs$: Observable<{ readonly name: string; readonly priority: number }>;
 * declare function run(job: { readonly name: string }): void;
 *
 * const demand = new Subject<number>();
 * jobs$.pipe(priorityBuffer({ priority: (job) => job.priority, demand })).subscribe(run);
 * demand.next(2); // release the two most urgent jobs
 * ```
 *
 * @param config The ranking functions and the demand stream, or a shared queue.
 * @returns An operator that emits the source's items in priority order, on demand.
 */
export function priorityBuffer<T>(config: PriorityBufferConfig<T>): MonoTypeOperatorFunction<T> {
  if (config === null || typeof config !== 'object') {
    throw new InvalidOptionError('config', 'an object with `demand`', config);
  }
  if ((config as { queue?: unknown }).queue !== undefined) {
    throw new InvalidOptionError('queue', 'absent here: a buffer that slots pull from is prioritySlots({ queue })', (config as { queue?: unknown }).queue);
  }
  return fromDemand(config);
}

/**
 * The buffer half of prioritySlots: fills `queue`, and emits what its consumer pulls. Completes
 * once the source has completed and the queue is empty (pulled, removed or taken). @internal
 */
export function fillQueue<T>(queue: BufferQueue<T>, push: (item: T) => void = (item) => queue.push(item)): MonoTypeOperatorFunction<T> {
  return operate<T, T>((source, subscriber) => {
    let sourceDone = false;
    const completeIfDrained = (): void => {
      if (sourceDone && queue.size === 0) subscriber.complete();
    };
    const disconnect = queue.connect((item) => {
      subscriber.next(item);
      completeIfDrained();
    }, completeIfDrained);
    const subscription = subscribeToSource(source, subscriber, {
      next: push,
      error: (error) => subscriber.error(error),
      complete: () => {
        sourceDone = true;
        completeIfDrained();
      },
    });
    return () => {
      disconnect();
      subscription.unsubscribe();
    };
  });
}

/** An item with the rank the buffer gave it on arrival. */
interface Entry<T> extends Ranked {
  readonly value: T;
}

function fromDemand<T>(config: PriorityBufferConfig<T>): MonoTypeOperatorFunction<T> {
  const { priority = () => 0, isCommand = () => false, demand } = config;
  checkOptional('priority', config.priority, expectFunction);
  checkOptional('isCommand', config.isCommand, expectFunction);
  checkAgingMs(config.agingMs);
  checkOptional('scheduler', config.scheduler, expectScheduler);
  checkOverflowConfig(config);
  const clock = config.scheduler ?? asyncScheduler;
  check('demand', demand, (v) =>
    v !== null && typeof v === 'object' && typeof (v as Observable<number>).subscribe === 'function'
      ? undefined
      : 'an Observable of numbers',
  );
  return operate<T, T>((source, subscriber) => {
    // Fresh state per subscription, so a resubscription (retry, repeat) starts empty.
    const queue = new LevelQueue<Entry<T>>();
    const push = boundedPush(queue, config, (entry: Entry<T>) => entry.value);
    // Aging's grid starts at the subscription.
    const aging = config.agingMs === undefined ? undefined : new PriorityAging(config.agingMs, clock.now());
    let credit = 0;
    let seq = 0;
    let sourceDone = false;
    const completeIfDrained = (): void => {
      if (sourceDone && queue.size === 0) subscriber.complete();
    };
    const release = (): void => {
      // Spend the credit before pulling: the consumer may answer the pulled item with more demand
      // synchronously, and that nested release must not spend this credit a second time.
      // Whole items only: fractional credits add up (0.5 + 0.5 releases one).
      while (credit >= 1 && queue.size > 0) {
        credit--;
        if (!queue.pull()) {
          credit++;
          break;
        }
      }
      completeIfDrained();
    };
    const disconnect = queue.connect((ranked) => subscriber.next(ranked.value));
    const rank = (value: T): Entry<T> => {
      const p = priority(value);
      if (typeof p !== 'number' || Number.isNaN(p)) {
        throw new InvalidOptionError('priority(item)', 'a number', p);
      }
      const lane = isCommand(value) ? 0 : 1;
      const level = aging === undefined || lane === 0 ? p : aging.rank(p, clock.now());
      return { value, lane, priority: level, seq: seq++ };
    };
    const demandSubscription = demand.subscribe({
      next: (n) => {
        if (n > 0) credit += n;
        release();
      },
      error: (error) => subscriber.error(error),
    });
    const sourceSubscription = subscribeToSource(source, subscriber, {
      next: (value) => {
        let ranked: Entry<T>;
        try {
          ranked = rank(value);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        push(ranked);
        release();
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        sourceDone = true;
        completeIfDrained();
      },
    });
    return () => {
      disconnect();
      demandSubscription.unsubscribe();
      sourceSubscription.unsubscribe();
    };
  });
}

