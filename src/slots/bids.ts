import type { Heap } from 'heap-js';
import type { Ranked } from '../queues/levelQueue.js';
import type { Bid, BrokerMember, BudgetClass } from './brokerMember.js';

// The slot broker's bids: a member's head as offered to the classes it belongs to.

/** A member's head as a bid; with `copiesRank` (compareRanked) the bid carries a copy of its rank. */
export function bidFor<T>(member: BrokerMember<T>, head: T, copiesRank: boolean): Bid<T> {
  if (!copiesRank) return { member, head, lane: 0, priority: 0, seq: 0, gen: member.bidGen };
  const { lane, priority, seq } = head as Ranked;
  member.bidSeq = seq;
  return { member, head, lane, priority, seq, gen: member.bidGen };
}

/** Stale bids of members that rarely win sink and stay: one bid per waiting member again. */
export function rebuildBids<T>(group: BudgetClass<T>, copiesRank: boolean): void {
  const bids = group.bids as Heap<Bid<T>>;
  bids.clear();
  for (const member of group.members) {
    if (!member.hasWaiting) continue;
    const head = member.queue.peek() as T;
    bids.add(bidFor(member, head, copiesRank));
    member.bidHead = head;
  }
}

/**
 * Bids set aside while filling one budget (heads too heavy for it) go back: the other budgets of
 * the class may fit them. A head that changed meanwhile has bid again already.
 */
export function restoreBids<T>(group: BudgetClass<T>, passed: readonly BrokerMember<T>[], copiesRank: boolean): void {
  const bids = group.bids;
  if (bids === undefined) return;
  for (const member of passed) {
    const head = member.bidHead;
    // Not for a member that left the class meanwhile (a pool changed by the work just started).
    if (head !== undefined && member.hasWaiting && member.queue.peek() === head && member.classes.includes(group)) bids.add(bidFor(member, head, copiesRank));
  }
}
