import type { BudgetShare, ServerEntry } from './brokerMember.js';

/** How the members of one budget reach it: per server string listed alone, and in all. */
interface Tally {
  members: number;
  readonly alone: Map<string, { readonly entry: ServerEntry; count: number }>;
}

/**
 * Budgets that every member reaches through the same one server string: the usual pool, a server
 * listed alike by every provider. A slot there needs no per-member lookup (with 1,000 providers,
 * that lookup was a cache miss per slot). Counted per budget, so a member joining or leaving a
 * budget updates it in O(1), and it stays what a count over every member would say.
 * @internal
 */
export class CommonEntries {
  readonly #tallies = new Map<string, Tally>();
  readonly #common = new Map<string, ServerEntry>();

  /** The entry every member of the budget uses, when they all list its server the same way. */
  get(budget: string): ServerEntry | undefined {
    return this.#common.get(budget);
  }

  add(budget: string, share: BudgetShare): void {
    let tally = this.#tallies.get(budget);
    if (tally === undefined) this.#tallies.set(budget, (tally = { members: 0, alone: new Map() }));
    tally.members++;
    const entry = share.entries.length === 1 ? (share.entries[0] as ServerEntry) : undefined;
    if (entry !== undefined) {
      const same = tally.alone.get(entry.server);
      if (same === undefined) tally.alone.set(entry.server, { entry, count: 1 });
      else same.count++;
    }
    this.#settle(budget, tally);
  }

  delete(budget: string, share: BudgetShare): void {
    const tally = this.#tallies.get(budget) as Tally;
    tally.members--;
    if (share.entries.length === 1) {
      const server = (share.entries[0] as ServerEntry).server;
      const same = tally.alone.get(server) as { count: number };
      if (--same.count === 0) tally.alone.delete(server);
    }
    if (tally.members === 0) {
      this.#tallies.delete(budget);
      this.#common.delete(budget);
    } else {
      this.#settle(budget, tally);
    }
  }

  clear(): void {
    this.#tallies.clear();
    this.#common.clear();
  }

  #settle(budget: string, tally: Tally): void {
    const only = tally.alone.size === 1 ? (tally.alone.values().next().value as { entry: ServerEntry; count: number }) : undefined;
    if (only !== undefined && only.count === tally.members) this.#common.set(budget, only.entry);
    else this.#common.delete(budget);
  }
}
