import type { BrokerMember, BudgetClass, BudgetShare, ServerEntry } from './brokerMember.js';
import { ABSENT_MAX, absentCount, markAbsent, putAbsent, takeAbsent, unmarkAbsent } from './absences.js';
import type { ClassTable } from './classTable.js';
import type { CommonEntries } from './commonEntries.js';

/** The parts of the broker's index a pool change updates in place. @internal */
export interface IndexView<T> {
  readonly membersByBudget: Map<string, BrokerMember<T>[]>;
  readonly classOfBudget: Map<string, BudgetClass<T>>;
  readonly commons: CommonEntries;
  readonly classes: ClassTable<T>;
}

/** A pool's entries grouped by the budget they draw on, in the order the pool first lists each. */
export function sharesOf(servers: readonly ServerEntry[]): Map<string, BudgetShare> {
  const shares = new Map<string, BudgetShare>();
  for (const entry of servers) {
    let share = shares.get(entry.budget);
    if (share === undefined) shares.set(entry.budget, (share = { entries: [], cursor: 0, at: -1 }));
    share.entries.push(entry);
  }
  return shares;
}

/**
 * Moves a member to the budgets of its new pool (`shares`; empty when it leaves) without a rebuild,
 * in what the change reaches: the member's pool, and the classes of the budgets it lost or gained.
 * A budget it gained joins the class of its new members (found, made with the old class's ranking
 * copied, or the old class itself when the member gains all of its budgets); where the member is
 * absent, it is no longer. A budget it lost, in a class it still draws on, marks it absent there;
 * when it draws on none of a class's budgets any more, it leaves the class. So 1,000 providers on
 * 16 servers, one more on them: one class grows by one member. Members whose heads must be offered
 * afresh are added to `offer`; the other members' bids are where they were, or copied with a ranking.
 * @internal
 */
export function applyPool<T>(index: IndexView<T>, member: BrokerMember<T>, shares: Map<string, BudgetShare>, offer: Set<BrokerMember<T>>): void {
  const before = member.shares;
  const lost = new Map<BudgetClass<T>, string[]>();
  const gained = new Map<BudgetClass<T> | undefined, string[]>();
  for (const [budget, share] of before) {
    index.commons.delete(budget, share);
    const kept = shares.get(budget);
    if (kept !== undefined) kept.at = share.at;
    else {
      leaveBudget(index, member, budget, share);
      group(lost, index.classOfBudget.get(budget) as BudgetClass<T>, budget);
    }
  }
  for (const [budget, share] of shares) {
    index.commons.add(budget, share);
    if (before.has(budget)) continue;
    group(gained, index.classOfBudget.get(budget), budget);
    let members = index.membersByBudget.get(budget);
    if (members === undefined) index.membersByBudget.set(budget, (members = []));
    share.at = members.length;
    members.push(member);
  }
  member.shares = shares;
  member.loads = undefined;
  if (lost.size === 0 && gained.size === 0) return;
  for (const [base, budgets] of gained) join(index, member, base, budgets, offer);
  if (lost.size > 0) {
    // Its bids in rankings copied from a class it is in, or in a class it leaves, go stale there.
    member.bidGen++;
    const stays = new Set<BudgetClass<T> | undefined>();
    for (const budget of shares.keys()) stays.add(index.classOfBudget.get(budget));
    for (const [base, budgets] of lost) leave(index, member, base, budgets, stays.has(base), offer);
  }
  // Its head is offered afresh, to its new classes too (where it stayed, that bid is one more).
  member.bidHead = undefined;
  offer.add(member);
}

function group<K>(byClass: Map<K, string[]>, key: K, budget: string): void {
  const budgets = byClass.get(key);
  if (budgets === undefined) byClass.set(key, [budget]);
  else budgets.push(budget);
}

/** Takes the member out of a budget's members in O(1): the last one takes its place. */
function leaveBudget<T>(index: IndexView<T>, member: BrokerMember<T>, budget: string, share: BudgetShare): void {
  const members = index.membersByBudget.get(budget) as BrokerMember<T>[];
  const last = members.pop() as BrokerMember<T>;
  if (members.length === 0) index.membersByBudget.delete(budget);
  else if (last !== member) {
    members[share.at] = last;
    (last.shares.get(budget) as BudgetShare).at = share.at;
  }
}

/** Budgets of class `base` (undefined: budgets new to the index) that `member` now draws on. */
function join<T>(index: IndexView<T>, member: BrokerMember<T>, base: BudgetClass<T> | undefined, budgets: readonly string[], offer: Set<BrokerMember<T>>): void {
  const classes = index.classes;
  if (base === undefined) {
    const own = classes.find(undefined, member, true) ?? classes.create([member]);
    for (const budget of budgets) index.classOfBudget.set(budget, own);
    own.budgets += budgets.length;
    return;
  }
  if (member.classes.includes(base)) {
    // It was absent from them (it stayed in the class for others).
    for (const budget of budgets) unmarkAbsent(base, budget, member);
    return;
  }
  const found = classes.find(base, member, true);
  if (found === undefined && base.budgets === budgets.length) {
    if (classes.reshape(base, member, true)) offerAll(base.members, offer);
    return;
  }
  const target = found ?? made(classes, base, member, true, offer);
  for (const budget of budgets) moveBudget(index, base, budget, target);
  settle(classes, base, offer);
  settle(classes, target, offer);
}

/** Budgets of class `base` that `member` no longer draws on; `stays`: it still draws on others of the class. */
function leave<T>(index: IndexView<T>, member: BrokerMember<T>, base: BudgetClass<T>, budgets: readonly string[], stays: boolean, offer: Set<BrokerMember<T>>): void {
  const classes = index.classes;
  const left: string[] = [];
  for (const budget of budgets) {
    if (index.membersByBudget.has(budget)) left.push(budget);
    else {
      // No one draws on it any more.
      index.classOfBudget.delete(budget);
      takeAbsent(base, budget);
      base.budgets--;
    }
  }
  if (!stays) {
    // The class keeps its other members (and its budgets they draw on), without this one.
    if (base.budgets === 0) classes.drop(base);
    else classes.reshape(base, member, false);
    return;
  }
  let target: BudgetClass<T> | undefined;
  for (const budget of left) {
    if (absentCount(base, budget) < ABSENT_MAX) markAbsent(base, budget, member);
    else moveBudget(index, base, budget, (target ??= classes.find(base, member, false) ?? made(classes, base, member, false)));
  }
  if (target !== undefined) {
    settle(classes, base, offer);
    settle(classes, target, offer);
  }
}

/** The class of `base`'s members plus or minus `member`, made now (its ranking copied from `base`'s). */
function made<T>(classes: ClassTable<T>, base: BudgetClass<T>, member: BrokerMember<T>, joins: boolean, offer?: Set<BrokerMember<T>>): BudgetClass<T> {
  const members = joins ? [...base.members, member] : base.members.filter((other) => other !== member);
  const target = classes.create(members, base.bids);
  // A new ranking (the class grew from one member): its members bid there.
  if (target.bids !== undefined && base.bids === undefined && offer !== undefined) offerAll(members, offer);
  return target;
}

/** A budget changes class; its absent members (members of both) go with it. */
function moveBudget<T>(index: IndexView<T>, from: BudgetClass<T>, budget: string, to: BudgetClass<T>): void {
  putAbsent(to, budget, takeAbsent(from, budget));
  index.classOfBudget.set(budget, to);
  from.budgets--;
  to.budgets++;
}

/**
 * After budgets moved out of (or, with their absent members, into) a class: dropped when it has no
 * budget left, and a member absent from every budget it has leaves it. Only members with absences
 * in the class can be such: their count is small.
 */
function settle<T>(classes: ClassTable<T>, group: BudgetClass<T>, offer: Set<BrokerMember<T>>): void {
  if (group.budgets === 0) {
    classes.drop(group);
    return;
  }
  const absent = group.absent;
  if (absent === undefined) return;
  const counts = new Map<BrokerMember<T>, number>();
  for (const members of absent.values()) for (const member of members) counts.set(member, (counts.get(member) ?? 0) + 1);
  for (const [member, count] of counts) {
    if (count < group.budgets) continue;
    classes.reshape(group, member, false);
    // Its bids there would look live for a member no more: stale everywhere, offered afresh.
    member.bidGen++;
    member.bidHead = undefined;
    offer.add(member);
  }
}

function offerAll<T>(members: readonly BrokerMember<T>[], offer: Set<BrokerMember<T>>): void {
  for (const other of members) {
    other.bidHead = undefined;
    offer.add(other);
  }
}
