import type { BehaviorSubject } from 'rxjs';
import type { LevelQueue, Ranked } from '../queues/levelQueue.js';
import type { PriorityAging } from '../queues/priorityAging.js';
import type { Provider, ProviderStats } from '../types.js';
import type { PoolPipeline } from './poolPipeline.js';

/** The slot-wait bound of a provider (see SlotWaitWatch). */
export interface SlotWaitBound<T> {
  watch(item: T, now: number): void;
  clear(): void;
}

/**
 * One provider inside the manager: the pipeline it feeds (its task and command streams, the
 * priority queue they are merged into, its live pool; shared with the providers of the same pool,
 * see Pipelines), and its counters.
 * @internal
 */
export class ProviderLane<T extends Ranked> {
  slotWait: SlotWaitBound<T> | undefined = undefined;
  /** The provider's `maxQueued` (Infinity when absent: one comparison per submission). */
  readonly maxQueued: number;
  /** The provider's name (a field, not a getter: events and outcomes read it on every task). */
  readonly name: string;
  /** Its tasks in the queue (which other providers' tasks may share). */
  queued = 0;
  waiting = 0;
  /** Delayed tasks not due yet (`delayMs`/`runAt`). */
  delayed = 0;
  running = 0;
  succeeded = 0;
  failed = 0;
  cancelled = 0;
  retries = 0;

  constructor(
    readonly provider: Provider,
    /** The pipeline it feeds; replaced when it takes one of its own (see Pipelines). */
    public pipeline: PoolPipeline<T>,
    /** The scheduler's time when the manager was created: its records keep times as offsets from it. */
    readonly epoch: number,
    /** The manager's `retry.maxRetries`, for tasks submitted without their own. */
    readonly defaultMaxRetries: number,
    /** Priority aging (the manager's `agingMs`): tasks are ranked by it when queued. */
    readonly aging: PriorityAging | undefined = undefined,
  ) {
    this.maxQueued = provider.maxQueued ?? Infinity;
    this.name = provider.name;
  }

  /** The rank a task of `priority` queued at `queuedAt` takes: the priority itself without aging. */
  rank(priority: number, queuedAt: number): number {
    return this.aging === undefined ? priority : this.aging.rank(priority, queuedAt);
  }

  get queue(): LevelQueue<T> {
    return this.pipeline.queue;
  }

  get servers$(): BehaviorSubject<readonly string[]> {
    return this.pipeline.servers$;
  }

  /** Puts a task (back) into the queue through its pipeline's stream (counted by the caller). */
  enqueue(record: T): void {
    const pipeline = this.pipeline;
    (record.lane === 0 ? pipeline.commands$ : pipeline.tasks$).next(record);
  }

  /** Takes a queued task out of the queue (a cancel, an expired slot wait). */
  dequeue(record: T): void {
    this.pipeline.queue.remove(record);
    this.queued--;
  }

  /** The counters; the stats add the pool's budgets. */
  stats(): Omit<ProviderStats, 'budgetOf'> {
    return {
      queued: this.queued,
      waiting: this.waiting,
      running: this.running,
      succeeded: this.succeeded,
      failed: this.failed,
      cancelled: this.cancelled,
      retries: this.retries,
      delayed: this.delayed,
      paused: this.queue.paused,
    };
  }

  close(): void {
    this.slotWait?.clear();
    if (--this.pipeline.lanes === 0) this.pipeline.close();
  }
}
