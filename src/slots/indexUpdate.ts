import type { Heap } from 'heap-js';
import type { Bid, BrokerMember, BudgetClass, BudgetShare, ServerEntry } from './brokerMember.js';

/** The parts of the broker's index an update in place changes. @internal */
export interface IndexView<T> {
  readonly membersByBudget: Map<string, BrokerMember<T>[]>;
  readonly classOfBudget: Map<string, BudgetClass<T>>;
  readonly commonEntry: Map<string, ServerEntry>;
  readonly budgetsInClass: Map<BudgetClass<T>, number>;
  readonly newRanking: () => Heap<Bid<T>> | undefined;
}

/** A pool's entries grouped by the budget they draw on, in the order the pool first lists each. */
export function sharesOf(servers: readonly ServerEntry[]): Map<string, BudgetShare> {
  const shares = new Map<string, BudgetShare>();
  for (const entry of servers) {
    let share = shares.get(entry.budget);
    if (share === undefined) shares.set(entry.budget, (share = { entries: [], cursor: 0 }));
    share.entries.push(entry);
  }
  return shares;
}

/**
 * Applies one member's new pool to the index without a rebuild, when the change allows it: the
 * budgets it drops are its alone, and those it gains are new or whole classes it joins (1,000
 * providers on the same 16 servers, one more provider on them: one class grows by one member).
 * Returns false, having changed nothing, when a rebuild is needed.
 * @internal
 */
export function updateInPlace<T>(index: IndexView<T>, member: BrokerMember<T>): boolean {
  const shares = sharesOf(member.servers);
  const before = member.shares;
  const lost = [...before.keys()].filter((budget) => !shares.has(budget));
  const gained = [...shares.keys()].filter((budget) => !before.has(budget));
  const grown = classesGrown(index, gained);
  if (grown === undefined || !lost.every((budget) => isOnlyMember(index, budget, member))) return false;
  member.shares = shares;
  member.loads = undefined;
  for (const budget of lost) dropBudget(index, member, budget);
  for (const group of grown) {
    group.members.push(member);
    member.classes.push(group);
  }
  for (const budget of gained) {
    const members = index.membersByBudget.get(budget);
    if (members === undefined) addOwnBudget(index, member, budget);
    else members.push(member);
  }
  for (const [budget, share] of shares) {
    const common = index.commonEntry.get(budget);
    const entry = share.entries[0] as ServerEntry;
    if (common !== undefined && (share.entries.length !== 1 || entry.server !== common.server)) index.commonEntry.delete(budget);
  }
  member.bids = member.classes.some((group) => group.bids !== undefined);
  member.bidHead = undefined; // its head is offered afresh, to its new classes too
  return true;
}

/**
 * The classes the gained budgets belong to, each of which must be gained whole (every budget of
 * it), and already rank several members; undefined when that does not hold.
 */
function classesGrown<T>(index: IndexView<T>, gained: readonly string[]): Set<BudgetClass<T>> | undefined {
  const counts = new Map<BudgetClass<T>, number>();
  for (const budget of gained) {
    const group = index.classOfBudget.get(budget);
    if (group !== undefined) counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  for (const [group, count] of counts) {
    // A class of one member has no ranking yet: growing it is a rebuild's job.
    if (count !== index.budgetsInClass.get(group) || group.members.length < 2) return undefined;
  }
  return new Set(counts.keys());
}

function isOnlyMember<T>(index: IndexView<T>, budget: string, member: BrokerMember<T>): boolean {
  const members = index.membersByBudget.get(budget);
  return members !== undefined && members.length === 1 && members[0] === member;
}

function dropBudget<T>(index: IndexView<T>, member: BrokerMember<T>, budget: string): void {
  const group = index.classOfBudget.get(budget) as BudgetClass<T>;
  index.membersByBudget.delete(budget);
  index.classOfBudget.delete(budget);
  index.commonEntry.delete(budget);
  const left = (index.budgetsInClass.get(group) ?? 1) - 1;
  if (left > 0) {
    index.budgetsInClass.set(group, left);
    return;
  }
  index.budgetsInClass.delete(group);
  member.classes = member.classes.filter((other) => other !== group);
}

/** A budget no other member lists: it joins the member's own class (made on first need). */
function addOwnBudget<T>(index: IndexView<T>, member: BrokerMember<T>, budget: string): void {
  let own = member.classes.find((group) => group.members.length === 1);
  if (own === undefined) {
    own = { members: [member], bids: undefined };
    member.classes.push(own);
  }
  index.membersByBudget.set(budget, [member]);
  index.classOfBudget.set(budget, own);
  index.budgetsInClass.set(own, (index.budgetsInClass.get(own) ?? 0) + 1);
  const entries = (member.shares.get(budget) as BudgetShare).entries;
  if (entries.length === 1) index.commonEntry.set(budget, entries[0] as ServerEntry);
}
