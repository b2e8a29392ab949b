import { coversNormalKey, normalizeLimitKey, normalizeServerKey } from './serverKey.js';

/**
 * Limits by exact server key or URL prefix, and the rule that maps a server to its budget: the
 * longest limit key that covers it, or the server's own key (with the default limit) when none
 * does. Keys are normalised on the way in, so a limit set on `https://h/api?s=1` applies to
 * `https://h/api` (the Go original silently ignored such limits).
 */
export class LimitTable {
  readonly #limits = new Map<string, number>();
  // Sorted longest first, so the first covering key is the longest match.
  #keysByLength: string[] = [];
  // Memo of budgetOf (it runs for every slot taken); cleared whenever the set of keys changes.
  readonly #budgetOfServer = new Map<string, string>();
  // Memo of budgetKey: a budget key as written -> the key; cleared with the one above.
  readonly #budgetKeys = new Map<string, string>();

  constructor(readonly defaultLimit: number) {}

  set(keyOrPrefix: string, limit: number): void {
    const key = normalizeLimitKey(keyOrPrefix);
    const isNew = !this.#limits.has(key);
    this.#limits.set(key, limit + 0); // -0 is stored (and shown) as 0
    if (isNew) this.#sortKeys();
  }

  /** Returns true when a limit was removed. */
  remove(keyOrPrefix: string): boolean {
    const removed = this.#limits.delete(normalizeLimitKey(keyOrPrefix));
    if (removed) this.#sortKeys();
    return removed;
  }

  /** The budget key of a server, as written or already normalised (memoised per spelling). */
  budgetOf(server: string): string {
    let budget = this.#budgetOfServer.get(server);
    if (budget === undefined) {
      budget = this.#longestCovering(normalizeServerKey(server));
      this.#budgetOfServer.set(server, budget);
    }
    return budget;
  }

  /**
   * A budget key as a user may write it (`https://gpu.example.com`) -> the key the budget has
   * (`https://gpu.example.com/`): a limit key when one is set under that spelling, else a server's
   * own key.
   */
  budgetKey(written: string): string {
    if (this.#limits.has(written)) return written;
    let key = this.#budgetKeys.get(written);
    if (key === undefined) {
      const asLimit = normalizeLimitKey(written);
      key = this.#limits.has(asLimit) ? asLimit : normalizeServerKey(written);
      this.#budgetKeys.set(written, key);
    }
    return key;
  }

  /** A server no pool lists any more: its memos go (its own budget key's too; a shared one is just looked up again). */
  forget(server: string): void {
    const budget = this.#budgetOfServer.get(server);
    this.#budgetOfServer.delete(server);
    this.#budgetKeys.delete(server);
    if (budget !== undefined) this.#budgetKeys.delete(budget);
  }

  /** How many memo entries are kept (for tests: a churning pool must not grow them). @internal */
  memoized(): number {
    return this.#budgetOfServer.size + this.#budgetKeys.size;
  }

  /** Every budget a server was resolved to since the set of keys last changed. */
  resolvedBudgets(): Set<string> {
    return new Set(this.#budgetOfServer.values());
  }

  #longestCovering(serverKey: string): string {
    for (const key of this.#keysByLength) {
      if (coversNormalKey(key, serverKey)) return key;
    }
    return serverKey;
  }

  /** The limit of a budget key (its own, else the default). */
  limitOf(budgetKey: string): number {
    return this.#limits.get(budgetKey) ?? this.defaultLimit;
  }

  entries(): ReadonlyMap<string, number> {
    return this.#limits;
  }

  #sortKeys(): void {
    this.#budgetOfServer.clear();
    this.#budgetKeys.clear();
    this.#keysByLength = [...this.#limits.keys()].sort((a, b) => b.length - a.length);
  }
}
