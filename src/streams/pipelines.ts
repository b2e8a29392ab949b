import { merge } from 'rxjs';
import { withoutCredentials } from '../internal/credentials.js';
import { prioritySlots } from '../operators/prioritySlots.js';
import { compareRanked } from '../queues/levelQueue.js';
import type { SlotLease } from '../slots/brokerMember.js';
import type { Provider } from '../types.js';
import type { AttemptRun } from './attemptRun.js';
import type { ManagerCore } from './managerCore.js';
import { PoolPipeline, poolKey } from './poolPipeline.js';
import type { Lane, TaskRecord } from './taskRecord.js';

/**
 * Which providers share a pipeline. Providers created with the same pool feed one: one queue and
 * one broker member, so what waits is ranked in one place exactly as the broker ranks it across
 * queues (commands, priority, submission order), and a thousand providers cost what one does.
 * A provider leaves for a pipeline of its own, taking its queued tasks along in their order,
 * before anything that is its alone: a pool change, a pause, a weighted task (a head too heavy
 * for a budget must not hold back other providers' tasks). One with `overflow: 'drop-oldest'` has
 * its own from the start (its victim is the oldest task of its own queue).
 * @internal
 */
export class Pipelines {
  readonly #joinable = new Map<string, PoolPipeline<TaskRecord>>();

  constructor(
    readonly core: ManagerCore,
    readonly work: (record: TaskRecord, lease: SlotLease) => AttemptRun,
  ) {}

  /** The pipeline a new provider feeds: that of an earlier provider with the same pool, or a new one. */
  for(provider: Provider): PoolPipeline<TaskRecord> {
    const servers = [...provider.servers];
    if (provider.overflow === 'drop-oldest') return this.#open(servers, undefined);
    const key = poolKey(servers);
    const shared = this.#joinable.get(key);
    if (shared !== undefined) {
      shared.lanes++;
      return shared;
    }
    const pipeline = this.#open(servers, key);
    this.#joinable.set(key, pipeline);
    return pipeline;
  }

  /**
   * The lane gets a pipeline of its own (paused from the start when `paused`), with its queued
   * tasks in their order: O(tasks queued in the shared one), once per provider.
   */
  own(lane: Lane, paused = false): void {
    const shared = lane.pipeline;
    const key = shared.joinKey;
    if (key === undefined) return; // it has its own
    if (shared.lanes === 1) {
      // The only provider left in it: it keeps it, and no other provider joins it from now on.
      this.#joinable.delete(key);
      shared.joinKey = undefined;
      return;
    }
    shared.lanes--;
    const own = this.#open(shared.servers$.value, undefined);
    if (paused) own.queue.pause();
    lane.pipeline = own;
    const moving: TaskRecord[] = [];
    for (const record of shared.queue.items()) if (record.home === lane) moving.push(record);
    moving.sort(compareRanked);
    for (const record of moving) {
      shared.queue.remove(record);
      lane.enqueue(record);
    }
  }

  /**
   * The composition the design names: the task and command streams merged → the priority buffer
   * and server slots (one operator, over the broker every pipeline shares) → one attempt per slot.
   */
  #open(servers: readonly string[], joinKey: string | undefined): PoolPipeline<TaskRecord> {
    const core = this.core;
    const pipeline = new PoolPipeline<TaskRecord>(servers, joinKey);
    pipeline.subscription = merge(pipeline.tasks$.observable, pipeline.commands$.observable)
      .pipe(prioritySlots({ queue: pipeline.queue, broker: core.broker, servers: pipeline.servers$, work: this.work }))
      .subscribe({
        error: (error: unknown) => core.log('error', { servers: servers.map(withoutCredentials), err: error }, 'provider pipeline failed'),
      });
    return pipeline;
  }
}
