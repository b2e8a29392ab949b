import { LimitTable } from '../slots/limitTable.js';
import { normalizeLimitKey } from '../slots/serverKey.js';

/** What a limit change means for the broker. */
export interface LimitDelta {
  /** The set of limit keys changed: servers may draw on other budgets now. */
  readonly keysChanged: boolean;
  /** Budgets whose limit went up: they may have room. */
  readonly raised: readonly string[];
}

const NO_CHANGE: LimitDelta = { keysChanged: false, raised: [] };

/**
 * This process's copy of the cluster's limits (the Redis hash), and the budget rule on top of it
 * (the same LimitTable the in-process coordinator uses). Every change reports its delta so the
 * coordinator can tell the broker what moved.
 */
export class LimitCache {
  readonly #table: LimitTable;

  constructor(defaultLimit: number) {
    this.#table = new LimitTable(defaultLimit);
  }

  budgetOf(serverKey: string): string {
    return this.#table.budgetOf(serverKey);
  }

  budgetKey(written: string): string {
    return this.#table.budgetKey(written);
  }

  /** A server no pool lists any more: its memos go. */
  forget(serverKey: string): void {
    this.#table.forget(serverKey);
  }

  /** How many memo entries are kept (for tests). @internal */
  memoized(): number {
    return this.#table.memoized();
  }

  limitOf(budget: string): number {
    return this.#table.limitOf(budget);
  }

  entries(): ReadonlyMap<string, number> {
    return this.#table.entries();
  }

  /** Every budget a server was resolved to since the limit keys last changed. */
  budgets(): Set<string> {
    return this.#table.resolvedBudgets();
  }

  set(keyOrPrefix: string, limit: number): LimitDelta {
    const key = normalizeLimitKey(keyOrPrefix);
    const before = this.#table.entries().get(key);
    if (before === limit) return NO_CHANGE;
    this.#table.set(key, limit);
    if (before === undefined) return this.#keysChanged();
    return { keysChanged: false, raised: limit > before ? [key] : [] };
  }

  remove(keyOrPrefix: string): LimitDelta {
    return this.#table.remove(keyOrPrefix) ? this.#keysChanged() : NO_CHANGE;
  }

  /** Makes the cache equal to `limits` (the hash as read from Redis). */
  replace(limits: ReadonlyMap<string, number>): LimitDelta {
    let keysChanged = false;
    const raised: string[] = [];
    for (const key of [...this.#table.entries().keys()]) {
      if (!limits.has(key)) keysChanged = this.remove(key).keysChanged || keysChanged;
    }
    for (const [key, limit] of limits) {
      const delta = this.set(key, limit);
      keysChanged ||= delta.keysChanged;
      raised.push(...delta.raised);
    }
    return { keysChanged, raised };
  }

  #keysChanged(): LimitDelta {
    return { keysChanged: true, raised: [] };
  }
}
