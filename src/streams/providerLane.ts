import { BehaviorSubject, type Subscription } from 'rxjs';
import { Multicast } from '../internal/multicast.js';
import { LevelQueue, type Ranked } from '../queues/levelQueue.js';
import type { PriorityAging } from '../queues/priorityAging.js';
import type { Provider, ProviderStats } from '../types.js';

/** The slot-wait bound of a provider (see SlotWaitWatch). */
export interface SlotWaitBound<T> {
  watch(item: T, now: number): void;
  clear(): void;
}

/**
 * One provider inside the manager: its two submission streams (tasks and commands), the priority
 * queue they are merged into, its live pool, and its counters.
 * @internal
 */
export class ProviderLane<T extends Ranked> {
  // Multicasts, not Subjects: a Subject's `next` allocates a closure and an iterator per value,
  // and every submission (and every retry) goes through one of these.
  readonly tasks$ = new Multicast<T>();
  readonly commands$ = new Multicast<T>();
  readonly queue = new LevelQueue<T>();
  readonly servers$: BehaviorSubject<readonly string[]>;
  subscription: Subscription | undefined = undefined;
  slotWait: SlotWaitBound<T> | undefined = undefined;
  /** The provider's `maxQueued` (Infinity when absent: one comparison per submission). */
  readonly maxQueued: number;
  /** The provider's name (a field, not a getter: events and outcomes read it on every task). */
  readonly name: string;
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
    /** The scheduler's time when the manager was created: its records keep times as offsets from it. */
    readonly epoch: number,
    /** The manager's `retry.maxRetries`, for tasks submitted without their own. */
    readonly defaultMaxRetries: number,
    /** Priority aging (the manager's `agingMs`): tasks are ranked by it when queued. */
    readonly aging: PriorityAging | undefined = undefined,
  ) {
    this.servers$ = new BehaviorSubject<readonly string[]>([...provider.servers]);
    this.maxQueued = provider.maxQueued ?? Infinity;
    this.name = provider.name;
  }

  /** The rank a task of `priority` queued at `queuedAt` takes: the priority itself without aging. */
  rank(priority: number, queuedAt: number): number {
    return this.aging === undefined ? priority : this.aging.rank(priority, queuedAt);
  }

  /** Puts a task (back) into the queue through its lane's stream. */
  enqueue(record: T): void {
    (record.lane === 0 ? this.commands$ : this.tasks$).next(record);
  }

  /** The counters; the stats add the pool's budgets. */
  stats(): Omit<ProviderStats, 'budgetOf'> {
    return {
      queued: this.queue.size,
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
    this.subscription?.unsubscribe();
    this.slotWait?.clear();
    this.tasks$.complete();
    this.commands$.complete();
    this.servers$.complete();
  }
}
