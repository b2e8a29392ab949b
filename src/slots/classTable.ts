import type { Heap } from 'heap-js';
import type { Bid, BrokerMember, BudgetClass } from './brokerMember.js';

/**
 * The classes of the broker's index, found by their member sets: budgets drawn on by exactly the
 * same members share one class, as a rebuild groups them, so an index updated in place stays the
 * one a rebuild would make. A class is found by the xor of its members' salts (a member joining or
 * leaving changes it in O(1)), then checked member by member.
 * @internal
 */
export class ClassTable<T> {
  readonly #byHash = new Map<number, BudgetClass<T>[]>();
  /** Classes of several members rank their heads (the broker has a comparator). */
  readonly ranked: boolean;

  /** `newRanking()`: the bid heap for a class of several members, or none (they take turns). */
  constructor(readonly newRanking: () => Heap<Bid<T>> | undefined) {
    this.ranked = newRanking() !== undefined;
  }

  clear(): void {
    this.#byHash.clear();
  }

  /**
   * A new class of `members`, listed in each member's classes. `from`: the ranking of a class with
   * the same members but one, whose bids it starts with (copying it costs far less than every
   * member bidding again); without it, a new ranking starts empty and the caller has its members bid.
   */
  create(members: BrokerMember<T>[], from?: Heap<Bid<T>>): BudgetClass<T> {
    const bids = members.length < 2 ? undefined : from !== undefined ? from.clone() : this.newRanking();
    let hash = 0;
    for (const member of members) hash ^= member.salt;
    const group: BudgetClass<T> = { members, bids, hash, budgets: 0, absent: undefined };
    this.#add(group);
    for (const member of members) {
      member.classes.push(group);
      if (bids !== undefined) member.bids = true;
    }
    return group;
  }

  /** A class left with no budget: its members no longer bid there. */
  drop(group: BudgetClass<T>): void {
    this.#remove(group);
    for (const member of group.members) leaveClass(member, group);
  }

  /**
   * `member` joins (or leaves) a class in place. Returns true when the class gets a ranking now (it
   * had one member): its members must bid there.
   */
  reshape(group: BudgetClass<T>, member: BrokerMember<T>, joins: boolean): boolean {
    this.#remove(group);
    group.hash ^= member.salt;
    this.#add(group);
    const members = group.members;
    if (joins) {
      members.push(member);
      member.classes.push(group);
      const fresh = group.bids === undefined && this.ranked && members.length > 1;
      if (fresh) group.bids = this.newRanking();
      if (group.bids !== undefined) for (const other of fresh ? members : [member]) other.bids = true;
      return fresh;
    }
    // Splice, not swap: without a comparator the order of the members is their turn order.
    members.splice(members.indexOf(member), 1);
    leaveClass(member, group);
    forgetAbsences(group, member);
    if (group.bids !== undefined && members.length < 2) {
      const bids = group.bids;
      group.bids = undefined;
      for (const other of members) leaveRanking(other, bids);
    }
    return false;
  }

  /** The class whose members are those of `base` (none: no one) with `member` added or taken out. */
  find(base: BudgetClass<T> | undefined, member: BrokerMember<T>, joins: boolean): BudgetClass<T> | undefined {
    const size = (base?.members.length ?? 0) + (joins ? 1 : -1);
    const candidates = this.#byHash.get((base?.hash ?? 0) ^ member.salt);
    if (candidates === undefined) return undefined;
    for (const group of candidates) if (group.members.length === size && sameMembers(group, base, member, joins)) return group;
    return undefined;
  }

  #add(group: BudgetClass<T>): void {
    const same = this.#byHash.get(group.hash);
    if (same === undefined) this.#byHash.set(group.hash, [group]);
    else same.push(group);
  }

  #remove(group: BudgetClass<T>): void {
    const same = this.#byHash.get(group.hash) as BudgetClass<T>[];
    if (same.length === 1) this.#byHash.delete(group.hash);
    else same.splice(same.indexOf(group), 1);
  }
}

/** The member no longer bids in the class (its own classes are few: a scan is cheap). */
function leaveClass<T>(member: BrokerMember<T>, group: BudgetClass<T>): void {
  const classes = member.classes;
  classes.splice(classes.indexOf(group), 1);
  if (group.bids !== undefined) leaveRanking(member, group.bids);
}

/** A ranking the member bid in is gone: it bids at all only if another class ranks. */
function leaveRanking<T>(member: BrokerMember<T>, bids: Heap<Bid<T>>): void {
  member.bids = member.classes.some((other) => other.bids !== undefined && other.bids !== bids);
}

/** A member that leaves the class is absent from none of its budgets. */
function forgetAbsences<T>(group: BudgetClass<T>, member: BrokerMember<T>): void {
  const absent = group.absent;
  if (absent === undefined) return;
  for (const [budget, members] of absent) if (members.delete(member) && members.size === 0) absent.delete(budget);
  if (absent.size === 0) group.absent = undefined;
}

/**
 * `group`, already of the right size, has the members of `base` plus (or minus) `member`. A member
 * of `base` lists it in its classes, which are few: so no member set is built.
 */
function sameMembers<T>(group: BudgetClass<T>, base: BudgetClass<T> | undefined, member: BrokerMember<T>, joins: boolean): boolean {
  let found = false;
  for (const other of group.members) {
    if (other === member) found = true;
    else if (base === undefined || !other.classes.includes(base)) return false;
  }
  return found === joins;
}
