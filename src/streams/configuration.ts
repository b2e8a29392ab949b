import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { check, expectLimit, expectNonEmptyString } from '../errors/checks.js';
import { invalidMessage } from '../errors/invalidOption.js';
import { SlotWaitTimeoutError } from '../errors/SlotWaitTimeoutError.js';
import { withoutCredentials } from '../internal/credentials.js';
import type { SlotLease } from '../slots/brokerMember.js';
import { coversNormalKey, normalizeLimitKey, normalizeServerKey } from '../slots/serverKey.js';
import type { ConfigRejected, Provider } from '../types.js';
import type { AttemptRun } from './attemptRun.js';
import type { ManagerCore } from './managerCore.js';
import { readProvider, readServerList } from './readProvider.js';
import type { Outcomes } from './outcomes.js';
import { Pipelines } from './pipelines.js';
import { ProviderLane } from './providerLane.js';
import { SlotWaitWatch } from './slotWaitWatch.js';
import { Ending } from './taskParts.js';
import type { Lane, TaskRecord } from './taskRecord.js';

/**
 * Providers and their pipelines, and live configuration: limits, pools, new providers. Each
 * change is one transition; slots it frees go to the best waiting tasks at once.
 * @internal
 */
export class Configuration {
  // Limit keys already reported as covering no pool server (each is reported once).
  readonly #uncoveredReported = new Set<string>();
  readonly pipelines: Pipelines;

  constructor(
    readonly core: ManagerCore,
    readonly outcomes: Outcomes,
    work: (record: TaskRecord, lease: SlotLease) => AttemptRun,
  ) {
    this.pipelines = new Pipelines(core, work);
  }

  setServerLimit(serverOrPrefix: string, limit: number): void {
    check('serverOrPrefix', serverOrPrefix, (v) => expectNonEmptyString(v, 2048));
    check('limit', limit, expectLimit);
    this.core.coordinator.setLimit(serverOrPrefix, limit);
    this.core.statsChanged();
    this.warnIfUncovered([normalizeLimitKey(serverOrPrefix)]);
  }

  /**
   * A limit key that covers no server of any pool is almost always a typo (`https://gpu.exmple.com`):
   * say so once per key through the logger. Checked when a limit is set, not when pools change.
   */
  warnIfUncovered(limitKeys: Iterable<string>): void {
    const serverKeys = [...this.core.lanes.values()].flatMap((lane) => lane.servers$.value.map(normalizeServerKey));
    for (const key of limitKeys) {
      if (this.#uncoveredReported.has(key) || serverKeys.some((server) => coversNormalKey(key, server))) continue;
      this.#uncoveredReported.add(key);
      this.core.log('warn', { limitKey: key }, 'this limit key covers no server of any pool (a typo?)');
    }
  }

  removeServerLimit(serverOrPrefix: string): void {
    check('serverOrPrefix', serverOrPrefix, (v) => expectNonEmptyString(v, 2048));
    this.core.coordinator.removeLimit(serverOrPrefix);
    this.core.statsChanged();
  }

  updateProviderServers(provider: string, servers: readonly string[]): Either<ConfigRejected, void> {
    const lane = typeof provider === 'string' ? this.core.lanes.get(provider) : undefined;
    if (lane === undefined) return left({ _tag: 'UnknownProvider', provider });
    // While a drain runs, a pool may still change (the queues need servers); once stopped, no.
    if (this.core.phase === 'stopped') return left({ _tag: 'ShuttingDown' });
    let pool: readonly string[];
    try {
      pool = readServerList(servers, 'servers');
    } catch (error) {
      return left({ _tag: 'InvalidConfig', field: (error as { field?: string }).field ?? 'servers', message: (error as Error).message });
    }
    // The pool is this provider's alone from now on.
    this.pipelines.own(lane);
    lane.servers$.next(pool);
    this.core.statsChanged();
    return right(undefined);
  }

  addProvider(given: Provider): Either<ConfigRejected, void> {
    let provider: Provider;
    try {
      provider = readProvider(given, 'provider');
    } catch (error) {
      return left({ _tag: 'InvalidConfig', field: (error as { field?: string }).field ?? 'provider', message: (error as Error).message });
    }
    if (this.core.lanes.has(provider.name)) {
      return left({ _tag: 'InvalidConfig', field: 'provider.name', message: invalidMessage('provider.name', 'a name no other provider has', provider.name) });
    }
    if (this.core.phase !== 'running') return left({ _tag: 'ShuttingDown' });
    this.openLane(provider);
    this.core.statsChanged();
    return right(undefined);
  }

  /** A provider joins the manager, feeding its pool's pipeline (see Pipelines). */
  openLane(provider: Provider): void {
    const core = this.core;
    const lane = new ProviderLane<TaskRecord>(provider, this.pipelines.for(provider), core.epoch, core.o.maxRetries, core.aging);
    core.lanes.set(lane.name, lane);
    if (core.o.maxSlotWaitMs !== Infinity) {
      lane.slotWait = new SlotWaitWatch(
        core.timeline,
        core.o.maxSlotWaitMs,
        () => lane.queued,
        (record, waitedMs) => this.#slotWaitExpired(lane, record, waitedMs),
      );
    }
  }

  #slotWaitExpired(lane: Lane, record: TaskRecord, waitedMs: number): void {
    lane.dequeue(record);
    const budgets = [...new Set(lane.servers$.value.map(withoutCredentials))].join(', ');
    const error = new SlotWaitTimeoutError(record.id, budgets, waitedMs);
    this.core.log('warn', { taskId: record.id, provider: lane.name, waitedMs }, 'no server slot within slotWait.maxWaitMs');
    this.outcomes.finish(lane, record, Ending.Failed, error);
  }
}
