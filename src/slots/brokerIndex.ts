import type { Heap } from 'heap-js';
import type { Bid, BrokerMember, BudgetClass, BudgetShare, ServerEntry } from './brokerMember.js';

/**
 * Who draws on what, for the slot broker: the members of each budget, the class of each budget,
 * and the budgets every member reaches through one common server entry. Rebuilt lazily, once,
 * when first needed after a change (a manager opening 1,000 providers must not rebuild it 1,000
 * times): its owner calls `refresh()` before reading it.
 * @internal
 */
export class BrokerIndex<T> {
  readonly members = new Set<BrokerMember<T>>();
  readonly #membersByBudget = new Map<string, BrokerMember<T>[]>();
  readonly #classOfBudget = new Map<string, BudgetClass<T>>();
  readonly #commonEntry = new Map<string, ServerEntry>();
  #stale = true;

  /** `newRanking()`: the bid heap for a class of several members, or none (they take turns). */
  constructor(readonly newRanking: () => Heap<Bid<T>> | undefined) {}

  /** A member joined, left or changed its pool. */
  invalidate(): void {
    this.#stale = true;
  }

  /** Brings the index up to date; true when it was rebuilt (every ranking starts empty then). */
  refresh(): boolean {
    if (!this.#stale) return false;
    this.#stale = false;
    this.#indexShares();
    this.#findCommonEntries();
    this.#groupClasses();
    return true;
  }

  membersOf(budget: string): readonly BrokerMember<T>[] | undefined {
    return this.#membersByBudget.get(budget);
  }

  budgets(): IterableIterator<string> {
    return this.#membersByBudget.keys();
  }

  classOf(budget: string): BudgetClass<T> | undefined {
    return this.#classOfBudget.get(budget);
  }

  /** The entry every member of the budget uses, when they all list its server the same way. */
  commonEntry(budget: string): ServerEntry | undefined {
    return this.#commonEntry.get(budget);
  }

  clear(): void {
    this.members.clear();
    this.#membersByBudget.clear();
    this.#classOfBudget.clear();
    this.#commonEntry.clear();
  }

  #indexShares(): void {
    this.#membersByBudget.clear();
    for (const member of this.members) {
      member.shares = new Map();
      member.loads = undefined;
      for (const entry of member.servers) {
        let share = member.shares.get(entry.budget);
        if (share === undefined) {
          share = { entries: [], cursor: 0 };
          member.shares.set(entry.budget, share);
          let members = this.#membersByBudget.get(entry.budget);
          if (members === undefined) this.#membersByBudget.set(entry.budget, (members = []));
          members.push(member);
        }
        share.entries.push(entry);
      }
    }
  }

  /**
   * Budgets that every member reaches through the same one server string: the usual pool, a
   * server listed alike by every provider. A slot there needs no per-member lookup (with 1,000
   * providers, that lookup was a cache miss per slot).
   */
  #findCommonEntries(): void {
    this.#commonEntry.clear();
    for (const [budget, members] of this.#membersByBudget) {
      let common: ServerEntry | undefined;
      for (const member of members) {
        const entries = (member.shares.get(budget) as BudgetShare).entries;
        const entry = entries[0] as ServerEntry;
        if (entries.length !== 1 || (common !== undefined && common.server !== entry.server)) {
          common = undefined;
          break;
        }
        common ??= entry;
      }
      if (common !== undefined) this.#commonEntry.set(budget, common);
    }
  }

  /** Groups budgets by their members; a class of several members gets a ranking when there is one. */
  #groupClasses(): void {
    this.#classOfBudget.clear();
    for (const member of this.members) {
      member.classes = [];
      member.bids = false;
      member.bidHead = undefined;
    }
    const byMembers = new Map<string, BudgetClass<T>>();
    for (const [budget, members] of this.#membersByBudget) {
      const key = members.map((m) => m.id).join(',');
      let group = byMembers.get(key);
      if (group === undefined) {
        const bids = members.length > 1 ? this.newRanking() : undefined;
        group = { members, bids };
        byMembers.set(key, group);
        for (const member of members) {
          member.classes.push(group);
          if (bids !== undefined) member.bids = true;
        }
      }
      this.#classOfBudget.set(budget, group);
    }
  }
}
