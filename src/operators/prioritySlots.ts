import type { OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { type BufferQueue, isBufferQueue } from '../queues/slotQueue.js';
import { boundedPush, checkOverflowConfig, type OverflowConfig } from './boundedQueue.js';
import { fillQueue } from './priorityBuffer.js';
import { checkSlotsConfig, type ServerSlotsConfig, slotsOver, withWeightCheck } from './serverSlots.js';

export interface PrioritySlotsConfig<T, R> extends ServerSlotsConfig<T, R>, OverflowConfig<T> {
  /**
   * Where items wait for a slot, best first: a {@link LevelQueue} for items that carry their rank
   * (`{ lane, priority, seq }`), a {@link PullQueue} for any comparator. It is yours to read
   * (`size`, `peek`) and to take waiting items out of (`remove`: a cancel); only this operator
   * fills it and pulls from it.
   */
  readonly queue: BufferQueue<T>;
}

/**
 * Runs each item on a server slot, the most urgent waiting item first.
 *
 * <span class="informal">A priority buffer and {@link serverSlots} in one operator: items wait
 * in a priority queue, never in a FIFO, and leave it one at a time as slots free.</span>
 *
 * An item that arrives while a server of the pool has room starts at once; otherwise it waits in
 * `queue`. When a slot frees on a budget, the best waiting item of every pipeline that lists it
 * (through a shared `broker`) takes it: commands, then priority, then arrival with
 * {@link compareRanked}, or the order of the queue's comparator. Everything else is as in
 * {@link serverSlots}: per-server budgets, the slot held until the work and its teardown are done,
 * the `mergeMap` contract for errors, completion and unsubscription.
 *
 * With `maxQueued`, at most that many items wait: a newcomer to a full queue is refused
 * (`overflow: 'reject'`, the default) or evicts the oldest waiting item of the lowest priority
 * (`'drop-oldest'`, LevelQueue only; the newcomer is refused if it ranks lower than every waiting
 * item). Commands are never refused or dropped. `onOverflow` hears of each, as a `QueueFull` or a
 * `Dropped` value; the item is gone from the stream either way. To make the source wait instead,
 * use {@link pullSlots}.
 *
 * The buffer and the slots share `queue` (a slot pulls from it), which is why they are one
 * operator: nothing can stand between them. The task manager's pipeline (one per pool, shared by
 * the providers created with that pool) is
 * `merge(tasks$, commands$).pipe(prioritySlots({ queue, broker, servers, work }))`.
 *
 * ## Example
 * ```ts
 * import type { Observable } from 'rxjs';
 * import { prioritySlots, PullQueue } from 'smt-rx/operators';
 * import { localSlotCoordinator } from 'smt-rx';
 *
 * interface Job { readonly path: string; readonly priority: number }
 * declare const jobs$: Observable<Job>;
 *
 * const queue = new PullQueue<Job>((a, b) => b.priority - a.priority);
 * jobs$.pipe(
 *   prioritySlots({
 *     queue,
 *     servers: ['https://render-1.example.com', 'https://render-2.example.com'],
 *     coordinator: localSlotCoordinator({ defaultLimit: 2 }),
 *     work: (job, { server }) => fetch(`${server}/render/${job.path}`).then((r) => r.text()),
 *   }),
 * ).subscribe(console.log);
 * // queue.remove(job) takes a waiting job out; queue.size is how many wait.
 * ```
 *
 * @see {@link serverSlots}
 * @see {@link priorityBuffer}
 *
 * @param config The queue, the pool, the work, and optionally a shared broker and a bound.
 * @returns An operator that emits the values of each item's work.
 */
export function prioritySlots<T, R>(config: PrioritySlotsConfig<T, R>): OperatorFunction<T, R> {
  checkSlotsConfig(config);
  if (!isBufferQueue(config.queue)) throw new InvalidOptionError('queue', 'a PullQueue or LevelQueue', config.queue);
  const queue = config.queue;
  checkOverflowConfig(config, queue);
  const slots = slotsOver(config, queue);
  const push = boundedPush(queue, config, (item: T) => item);
  return withWeightCheck(config, (source) => slots(fillQueue(queue, push)(source)));
}
