import type { BrokerMember, HeldBudgets, ServerEntry } from '../brokerMember.js';
import { leastLoaded } from '../serverChoice.js';
import type { SlotCoordinator } from '../slotCoordinator.js';
import { PoolLoads, SCAN_LIMIT } from './poolLoads.js';

/**
 * The slot broker's choice of a server for a member's head: a short pool is scanned, a long one
 * (over {@link SCAN_LIMIT} entries) is chosen from through its index of loads, built at its first
 * start, so that a start there costs O(log n). Every `room` the coordinator announces must reach
 * the indexes ({@link LongPools.touch}).
 * @internal
 */
export class LongPools<T> {
  /** Members with a long pool's index of loads. */
  readonly #indexed = new Set<BrokerMember<T>>();

  /** `refresh`: brings the broker's index (the members' shares) up to date. */
  constructor(
    readonly coordinator: SlotCoordinator,
    readonly refresh: () => void,
  ) {}

  /** A server with room for `weight` on a budget not `reserved` for another head, if any. */
  choose(member: BrokerMember<T>, weight: number, reserved: HeldBudgets | undefined): ServerEntry | undefined {
    if (member.servers.length <= SCAN_LIMIT) return leastLoaded(member, this.coordinator, weight, reserved);
    // A pool change since the last start drops the member's index with its shares.
    this.refresh();
    let loads = member.loads;
    if (loads === undefined) {
      loads = member.loads = new PoolLoads(member.shares, this.coordinator);
      this.#indexed.add(member);
    }
    return loads.choose(weight, reserved);
  }

  /** A budget may have room now. */
  touch(budget: string): void {
    if (this.#indexed.size > 0) for (const member of this.#indexed) member.loads?.touch(budget);
  }

  delete(member: BrokerMember<T>): void {
    this.#indexed.delete(member);
  }

  clear(): void {
    this.#indexed.clear();
  }
}
