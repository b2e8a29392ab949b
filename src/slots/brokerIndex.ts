import type { Heap } from 'heap-js';
import type { Bid, BrokerMember, BudgetClass, ServerEntry } from './brokerMember.js';
import { ClassTable } from './classTable.js';
import { CommonEntries } from './commonEntries.js';
import { applyPool, type IndexView, sharesOf } from './indexUpdate.js';

/**
 * Who draws on what, for the slot broker: the members of each budget, the class of each budget,
 * and the budgets every member reaches through one common server entry. Built lazily, once, when
 * first needed (a manager opening 1,000 providers must not build it 1,000 times), then updated in
 * place, change by change, in what each change reaches (see applyPool): its owner calls `refresh()`
 * before reading it.
 * @internal
 */
export class BrokerIndex<T> {
  readonly members = new Set<BrokerMember<T>>();
  readonly #membersByBudget = new Map<string, BrokerMember<T>[]>();
  readonly #classOfBudget = new Map<string, BudgetClass<T>>();
  readonly #commons = new CommonEntries();
  readonly #classes: ClassTable<T>;
  readonly #view: IndexView<T>;
  #stale = true;
  /** Members whose pool changed since the last refresh. */
  readonly #changed = new Set<BrokerMember<T>>();

  /** `newRanking()`: the bid heap for a class of several members, or none (they take turns). */
  constructor(readonly newRanking: () => Heap<Bid<T>> | undefined) {
    this.#classes = new ClassTable(newRanking);
    this.#view = { membersByBudget: this.#membersByBudget, classOfBudget: this.#classOfBudget, commons: this.#commons, classes: this.#classes };
  }

  /**
   * Budgets were regrouped (a limit rule changed which budget a server draws on): the next refresh
   * rebuilds the whole index. That is a change of the limit table, not of a pool, and it may move
   * every member; pool changes and members leaving are updated in place.
   */
  invalidate(): void {
    this.#stale = true;
  }

  /** A member's pool changed: the next refresh moves it to its new budgets. */
  changed(member: BrokerMember<T>): void {
    this.#changed.add(member);
  }

  /**
   * A member leaves at once (its bids must not win a slot after this): it is taken out of every
   * budget and class. Returns the members whose heads must be offered afresh.
   */
  leave(member: BrokerMember<T>): Iterable<BrokerMember<T>> | undefined {
    if (!this.members.delete(member)) return undefined;
    this.#changed.delete(member);
    // Its bids, in every ranking, are stale from now on.
    member.bidGen++;
    member.bidHead = undefined;
    if (this.#stale) {
      // The rebuild to come leaves it out.
      member.shares = new Map();
      member.classes = [];
      return undefined;
    }
    const offer = new Set<BrokerMember<T>>();
    applyPool(this.#view, member, new Map(), offer);
    offer.delete(member);
    return offer;
  }

  /**
   * Brings the index up to date. Returns the members whose heads must be offered afresh: all of
   * them after a rebuild (every ranking starts empty then), those whose rankings miss their bid
   * after updates in place, none when nothing changed.
   */
  refresh(): Iterable<BrokerMember<T>> | undefined {
    if (!this.#stale && this.#changed.size === 0) return undefined;
    if (!this.#stale) {
      const offer = new Set<BrokerMember<T>>();
      for (const member of this.#changed) applyPool(this.#view, member, sharesOf(member.servers), offer);
      this.#changed.clear();
      return offer;
    }
    this.#stale = false;
    this.#changed.clear();
    this.#indexShares();
    this.#groupClasses();
    return this.members;
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
    return this.#commons.get(budget);
  }

  clear(): void {
    this.members.clear();
    this.#membersByBudget.clear();
    this.#classOfBudget.clear();
    this.#commons.clear();
    this.#classes.clear();
  }

  #indexShares(): void {
    this.#membersByBudget.clear();
    this.#commons.clear();
    for (const member of this.members) {
      member.shares = sharesOf(member.servers);
      member.loads = undefined;
      for (const [budget, share] of member.shares) {
        let members = this.#membersByBudget.get(budget);
        if (members === undefined) this.#membersByBudget.set(budget, (members = []));
        share.at = members.length;
        members.push(member);
        this.#commons.add(budget, share);
      }
    }
  }

  /** Groups budgets by their members; a class of several members gets a ranking when there is one. */
  #groupClasses(): void {
    this.#classOfBudget.clear();
    this.#classes.clear();
    for (const member of this.members) {
      member.classes = [];
      member.bids = false;
      member.bidHead = undefined;
    }
    // Members are listed in the order of `members` everywhere: the same set, the same key.
    const byMembers = new Map<string, BudgetClass<T>>();
    for (const [budget, members] of this.#membersByBudget) {
      const key = members.map((m) => m.id).join(',');
      let group = byMembers.get(key);
      if (group === undefined) byMembers.set(key, (group = this.#classes.create([...members])));
      group.budgets++;
      this.#classOfBudget.set(budget, group);
    }
  }
}
