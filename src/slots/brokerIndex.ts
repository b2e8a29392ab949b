import type { Heap } from 'heap-js';
import type { Bid, BrokerMember, BudgetClass, BudgetShare, ServerEntry } from './brokerMember.js';
import { type IndexView, sharesOf, updateInPlace } from './indexUpdate.js';

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
  /** How many budgets each class groups (a class whose budgets all gain one member grows in place). */
  readonly #budgetsInClass = new Map<BudgetClass<T>, number>();
  #stale = true;
  /** Members whose pool changed since the last refresh, when that is the only change. */
  readonly #changed = new Set<BrokerMember<T>>();

  /** `newRanking()`: the bid heap for a class of several members, or none (they take turns). */
  constructor(readonly newRanking: () => Heap<Bid<T>> | undefined) {}

  /** Something changed that only a rebuild handles (a member left, budgets were regrouped). */
  invalidate(): void {
    this.#stale = true;
  }

  /** A member's pool changed: the next refresh updates what it touches, if it can. */
  changed(member: BrokerMember<T>): void {
    this.#changed.add(member);
  }

  /**
   * Brings the index up to date. Returns the members whose heads must be offered afresh: all of
   * them after a rebuild (every ranking starts empty then), the changed ones after an update in
   * place, none when nothing changed.
   */
  refresh(): Iterable<BrokerMember<T>> | undefined {
    if (!this.#stale && this.#changed.size === 0) return undefined;
    if (!this.#stale) {
      const changed = [...this.#changed];
      this.#changed.clear();
      if (changed.every((member) => updateInPlace(this.#view, member))) return changed;
    }
    this.#stale = false;
    this.#changed.clear();
    this.#indexShares();
    this.#findCommonEntries();
    this.#groupClasses();
    return this.members;
  }

  get #view(): IndexView<T> {
    return { membersByBudget: this.#membersByBudget, classOfBudget: this.#classOfBudget, commonEntry: this.#commonEntry, budgetsInClass: this.#budgetsInClass, newRanking: this.newRanking };
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
    this.#budgetsInClass.clear();
    this.#membersByBudget.clear();
    this.#classOfBudget.clear();
    this.#commonEntry.clear();
  }

  #indexShares(): void {
    this.#membersByBudget.clear();
    for (const member of this.members) {
      member.shares = sharesOf(member.servers);
      member.loads = undefined;
      for (const budget of member.shares.keys()) {
        let members = this.#membersByBudget.get(budget);
        if (members === undefined) this.#membersByBudget.set(budget, (members = []));
        members.push(member);
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
    this.#budgetsInClass.clear();
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
        group = { members: [...members], bids };
        byMembers.set(key, group);
        for (const member of members) {
          member.classes.push(group);
          if (bids !== undefined) member.bids = true;
        }
      }
      this.#classOfBudget.set(budget, group);
      this.#budgetsInClass.set(group, (this.#budgetsInClass.get(group) ?? 0) + 1);
    }
  }
}
