import type { BrokerMember, BudgetClass } from './brokerMember.js';

// Absences: a member that leaves some budgets of a class but still draws on others stays in the
// class, marked absent from the budgets it left. Splitting the class instead would make a class of
// all the other members: with 10,000 providers on 16 servers, one provider dropping 8 of them cost
// a copy of the ranking and a class more for each of 9,999 members, and as much again to merge
// back. A budget's members are its class's members less its absent ones; a fill there passes the
// absent ones over, so their number per budget is kept small (ABSENT_MAX).

/** The most members a budget is marked absent for; past that it moves to a class of its own members. */
export const ABSENT_MAX = 4;

export function absentCount<T>(group: BudgetClass<T>, budget: string): number {
  return group.absent?.get(budget)?.size ?? 0;
}

export function markAbsent<T>(group: BudgetClass<T>, budget: string, member: BrokerMember<T>): void {
  const absent = (group.absent ??= new Map());
  const members = absent.get(budget);
  if (members === undefined) absent.set(budget, new Set([member]));
  else members.add(member);
}

/** The member draws on the budget again. */
export function unmarkAbsent<T>(group: BudgetClass<T>, budget: string, member: BrokerMember<T>): void {
  const absent = group.absent as Map<string, Set<BrokerMember<T>>>;
  const members = absent.get(budget) as Set<BrokerMember<T>>;
  members.delete(member);
  if (members.size > 0) return;
  absent.delete(budget);
  if (absent.size === 0) group.absent = undefined;
}

/** The budget leaves the class: its absent members, if any, go with it. */
export function takeAbsent<T>(group: BudgetClass<T>, budget: string): Set<BrokerMember<T>> | undefined {
  const absent = group.absent;
  const members = absent?.get(budget);
  if (members === undefined) return undefined;
  (absent as Map<string, Set<BrokerMember<T>>>).delete(budget);
  if (absent?.size === 0) group.absent = undefined;
  return members;
}

/** The budget joins a class that has all of `members` (see `takeAbsent`). */
export function putAbsent<T>(group: BudgetClass<T>, budget: string, members: Set<BrokerMember<T>> | undefined): void {
  if (members !== undefined) (group.absent ??= new Map()).set(budget, members);
}
