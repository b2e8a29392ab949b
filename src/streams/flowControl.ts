import { left, right, type Either, type Left } from 'fp-ts/lib/Either.js';
import { expectFiniteNumber } from '../errors/checks.js';
import { InvalidOptionError, invalidMessage } from '../errors/invalidOption.js';
import type { RateLimit } from '../slots/rateLimitedCoordinator.js';
import { compareRanked } from '../queues/levelQueue.js';
import { overflowVictim } from '../queues/overflowVictim.js';
import type { ClearReport, ConfigRejected, FlowRejected, SetPriorityRejected, SubmitRejected } from '../types.js';
import type { Cancellation } from './cancellation.js';
import type { ManagerCore } from './managerCore.js';
import type { Pipelines } from './pipelines.js';
import { ProviderLane } from './providerLane.js';
import { TaskState, type Lane, type TaskRecord } from './taskRecord.js';

/**
 * Per-provider and per-task flow control: pause, resume and clear a provider's queue, and move a
 * queued task to another priority. Each call is one transition. The queue does the work (a paused
 * `LevelQueue` delivers nothing, so the slot broker gives freed slots to other providers; `requeue`
 * moves an item), which is why the same calls exist on the operators' queues.
 * @internal
 */
export class FlowControl {
  constructor(
    readonly core: ManagerCore,
    readonly cancellation: Cancellation,
    readonly pipelines: Pipelines,
  ) {}

  pause(provider: string): Either<FlowRejected, void> {
    return this.#setPaused(provider, true);
  }

  resume(provider: string): Either<FlowRejected, void> {
    return this.#setPaused(provider, false);
  }

  #setPaused(provider: string, paused: boolean): Either<FlowRejected, void> {
    const lane = this.#lane(provider);
    if (!(lane instanceof ProviderLane)) return lane;
    if (paused) {
      // Pausing is this provider's alone: its tasks leave a queue it shares.
      this.pipelines.own(lane, true);
      lane.queue.pause();
    } else {
      lane.queue.resume();
    }
    this.core.statsChanged();
    return right(undefined);
  }

  /** A budget's start rate, live (the manager was created with `rateLimits`). */
  setRateLimit(serverOrPrefix: string, rate: RateLimit | undefined): Either<ConfigRejected, void> {
    const rated = this.core.o.rated;
    if (rated === undefined) return left({ _tag: 'InvalidConfig', field: 'rateLimits', message: 'Create the manager with `rateLimits` (even `{}`) to set rates live' });
    try {
      rated.setRate(serverOrPrefix, rate);
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      return left({ _tag: 'InvalidConfig', field: error.field, message: error.message });
    }
    return right(undefined);
  }

  /** A drain runs what is queued: every paused provider is resumed (else it would never end). */
  resumeAll(): void {
    for (const lane of this.core.lanes.values()) lane.queue.resume();
  }

  /** Cancels everything queued of one provider (reason `clear`); running and waiting tasks go on. */
  clear(provider: string): Either<FlowRejected, ClearReport> {
    const lane = this.#lane(provider);
    if (!(lane instanceof ProviderLane)) return lane;
    const queued: TaskRecord[] = [];
    for (const record of this.core.registry.values()) if (record.home === lane && (record.state === TaskState.Queued || record.state === TaskState.Delayed)) queued.push(record);
    queued.sort(compareRanked);
    for (const record of queued) this.cancellation.cancelRecord(record, 'clear');
    return right({ provider, cancelled: queued.map((record) => record.id) });
  }

  /**
   * A task of `rank` arrives at a full queue: under `drop-oldest`, the oldest queued task of the
   * lowest rank (priority, or effective priority under aging) is cancelled (reason `overflow`) if
   * the newcomer's rank is not lower;
   * otherwise (and under `reject`) the newcomer is refused.
   */
  makeRoom(lane: Lane, rank: number): SubmitRejected | undefined {
    const full: SubmitRejected = { _tag: 'QueueFull', provider: lane.name, maxQueued: lane.maxQueued };
    if (lane.provider.overflow !== 'drop-oldest') return full;
    const victim = overflowVictim(lane.queue, rank);
    if (victim === undefined) return full;
    this.cancellation.cancelRecord(victim, 'overflow');
    return undefined;
  }

  /**
   * A queued task takes `priority` and goes to the end of that level (FIFO among equals holds: it
   * counts as submitted now for the order). Under aging, it keeps the levels it has risen since it
   * was queued. O(tasks at its old priority).
   */
  setPriority(id: string, priority: number): Either<SetPriorityRejected, void> {
    const core = this.core;
    if (core.phase === 'stopped') return left({ _tag: 'ShutDown' });
    const problem = expectFiniteNumber(priority);
    if (problem !== undefined) return left({ _tag: 'InvalidPriority', message: invalidMessage('priority', problem, priority) });
    const record = core.registry.get(id);
    if (record === undefined || record.state === TaskState.Done) return left({ _tag: 'NotFound', id });
    if (record.state !== TaskState.Queued && record.state !== TaskState.Delayed) return left({ _tag: 'NotQueued', id });
    core.registry.rekey(record);
    const change = (): void => {
      record.prioritize(priority);
      record.seq = core.seq++;
    };
    // A delayed task is not in its queue yet: it enters at its new rank when due.
    const moved = record.state === TaskState.Delayed ? (change(), true) : record.home.queue.requeue(record, change);
    if (!moved) return left({ _tag: 'NotQueued', id });
    core.statsChanged();
    return right(undefined);
  }

  #lane(provider: string): Lane | Left<FlowRejected> {
    if (this.core.phase !== 'running') return refused({ _tag: 'ShuttingDown' });
    const lane = this.core.lanes.get(provider);
    return lane === undefined ? refused({ _tag: 'UnknownProvider', provider }) : lane;
  }
}

const refused = (rejection: FlowRejected): Left<FlowRejected> => ({ _tag: 'Left', left: rejection });
