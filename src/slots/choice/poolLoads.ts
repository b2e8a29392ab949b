import { MinTree } from '../../internal/minTree.js';
import type { BudgetShare, LoadIndex, ServerEntry } from '../brokerMember.js';
import type { SlotCoordinator } from '../slotCoordinator.js';

/**
 * Pools longer than this are chosen from through {@link PoolLoads}; shorter ones are scanned (a
 * scan of a few entries costs less than keeping an index up to date on every release).
 */
export const SCAN_LIMIT = 32;

/** With a `serverCost`, at most this many budgets with room are compared per start (from the cursor on). */
export const COST_CANDIDATES = SCAN_LIMIT;

/** A budget's load for the choice: in use / limit, 0 without a limit, Infinity when nothing may start there. */
export function loadOf(coordinator: SlotCoordinator, budget: string): number {
  const { limit, inUse, blocked } = coordinator.budget(budget);
  if (inUse >= limit || blocked === true) return Infinity;
  return limit === Infinity ? 0 : inUse / limit;
}

/**
 * The loads of a large pool's budgets, in the order the pool first lists them, so that a start
 * costs O(log n) instead of a scan of the pool. A value may be lower than the budget's load now
 * (others took slots, a limit went down, a server was ejected): a start checks the one it picks
 * and corrects it. It is never left higher: a coordinator announces every `room` (a release, a
 * raised limit, a start rate's window reopening, a restored server), and the broker passes each
 * to {@link PoolLoads.touch}.
 * @internal
 */
export class PoolLoads implements LoadIndex {
  readonly #tree: MinTree;
  readonly #shares: BudgetShare[];
  readonly #budgets: string[];
  readonly #positions = new Map<string, number>();
  /** Where the next start looks first: the budget after the last one chosen. */
  #cursor = 0;

  constructor(
    shares: ReadonlyMap<string, BudgetShare>,
    readonly coordinator: SlotCoordinator,
  ) {
    this.#shares = [...shares.values()];
    this.#budgets = [...shares.keys()];
    this.#budgets.forEach((budget, i) => this.#positions.set(budget, i));
    this.#tree = new MinTree(this.#budgets.length);
    this.#tree.fill((i) => loadOf(coordinator, this.#budgets[i] as string));
  }

  /** A budget of this pool may have room now. */
  touch(budget: string): void {
    const position = this.#positions.get(budget);
    if (position !== undefined) this.#tree.set(position, loadOf(this.coordinator, budget));
  }

  /**
   * The server to start on: the lowest load, ties in rotation from the cursor (the same rule as
   * the scan of a short pool, by budget); with a `serverCost`, the lowest cost among the next
   * {@link COST_CANDIDATES} budgets with room.
   */
  choose(): ServerEntry | undefined {
    const position = this.coordinator.serverCost === undefined ? this.#leastLoaded() : this.#cheapest();
    if (position < 0) return undefined;
    this.#cursor = (position + 1) % this.#budgets.length;
    const share = this.#shares[position] as BudgetShare;
    return share.entries[share.cursor % share.entries.length];
  }

  /** A slot was taken on `entry` (chosen by `choose`): its server's turn passes, its load is read again. */
  started(entry: ServerEntry): void {
    const position = this.#positions.get(entry.budget);
    if (position === undefined) return;
    const share = this.#shares[position] as BudgetShare;
    share.cursor = (share.cursor + 1) % share.entries.length;
    this.#tree.set(position, loadOf(this.coordinator, entry.budget));
  }

  #leastLoaded(): number {
    const tree = this.#tree;
    // Each pass corrects one stale value; a bound keeps a coordinator whose answers keep moving from looping.
    for (let pass = 0; pass <= this.#budgets.length; pass++) {
      const least = tree.min;
      if (least === Infinity) return -1;
      const position = tree.nextAtMost(this.#cursor, least);
      const load = loadOf(this.coordinator, this.#budgets[position] as string);
      if (load === least) return position;
      tree.set(position, load);
    }
    return -1;
  }

  #cheapest(): number {
    const tree = this.#tree;
    const count = this.#budgets.length;
    const cost = this.coordinator.serverCost as (serverKey: string) => number;
    let best = -1;
    let bestCost = Infinity;
    // Budgets with room in rotation from the cursor, once round at most.
    let travelled = -1;
    for (let seen = 0; seen < COST_CANDIDATES; ) {
      const position = tree.nextAtMost((this.#cursor + travelled + 1) % count, Number.MAX_VALUE);
      const distance = (position - this.#cursor + count) % count;
      if (position < 0 || distance <= travelled) break;
      travelled = distance;
      const load = loadOf(this.coordinator, this.#budgets[position] as string);
      tree.set(position, load);
      if (load === Infinity) continue;
      seen++;
      const share = this.#shares[position] as BudgetShare;
      const entryCost = cost.call(this.coordinator, (share.entries[share.cursor % share.entries.length] as ServerEntry).key);
      if (best < 0 || entryCost < bestCost) {
        best = position;
        bestCost = entryCost;
      }
    }
    return best;
  }
}
