import { MinTree } from '../../internal/minTree.js';
import type { BudgetShare, HeldBudgets, LoadIndex, ServerEntry } from '../brokerMember.js';
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
   * The server to start an item of `weight` on: the lowest load among the budgets with room for
   * it that are not `reserved` for another head, ties in rotation from the cursor (the same rule
   * as the scan of a short pool, by budget); with a `serverCost`, the lowest cost among the next
   * {@link COST_CANDIDATES} such budgets.
   */
  choose(weight = 1, reserved?: HeldBudgets): ServerEntry | undefined {
    const position = this.coordinator.serverCost === undefined ? this.#leastLoaded(weight, reserved) : this.#cheapest(weight, reserved);
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

  #leastLoaded(weight: number, reserved: HeldBudgets | undefined): number {
    const tree = this.#tree;
    // Budgets with room, but not for this head: out of the tree while it looks, put back after.
    let setAside: number[] | undefined;
    try {
      // Each pass corrects one stale value or sets one budget aside; a bound keeps a coordinator
      // whose answers keep moving from looping.
      for (let pass = 0; pass <= 2 * this.#budgets.length; pass++) {
        const least = tree.min;
        if (least === Infinity) return -1;
        const position = tree.nextAtMost(this.#cursor, least);
        const budget = this.#budgets[position] as string;
        const load = loadOf(this.coordinator, budget);
        if (load !== least) {
          tree.set(position, load);
        } else if ((weight === 1 && reserved === undefined) || this.#takes(budget, weight, reserved)) {
          return position;
        } else {
          (setAside ??= []).push(position, load);
          tree.set(position, Infinity);
        }
      }
      return -1;
    } finally {
      if (setAside !== undefined) for (let i = 0; i < setAside.length; i += 2) tree.set(setAside[i] as number, setAside[i + 1] as number);
    }
  }

  /** The budget has room for `weight` and is not held for another head. */
  #takes(budget: string, weight: number, reserved: HeldBudgets | undefined): boolean {
    if (reserved?.has(budget) === true) return false;
    const { limit, inUse } = this.coordinator.budget(budget);
    return inUse + weight <= limit;
  }

  #cheapest(weight: number, reserved: HeldBudgets | undefined): number {
    const tree = this.#tree;
    const count = this.#budgets.length;
    const cost = this.coordinator.serverCost as (serverKey: string) => number;
    let best = -1;
    let bestCost = Infinity;
    // Budgets with room (for this head) in rotation from the cursor, once round at most.
    let travelled = -1;
    for (let seen = 0; seen < COST_CANDIDATES; ) {
      const position = tree.nextAtMost((this.#cursor + travelled + 1) % count, Number.MAX_VALUE);
      const distance = (position - this.#cursor + count) % count;
      if (position < 0 || distance <= travelled) break;
      travelled = distance;
      const budget = this.#budgets[position] as string;
      const load = loadOf(this.coordinator, budget);
      tree.set(position, load);
      if (load === Infinity || ((weight !== 1 || reserved !== undefined) && !this.#takes(budget, weight, reserved))) continue;
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
