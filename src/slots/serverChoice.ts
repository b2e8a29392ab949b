import { Heap } from 'heap-js';
import { compareRanked } from '../queues/levelQueue.js';
import type { Comparator } from '../queues/pullQueue.js';
import type { Bid, BrokerMember, BudgetClass, BudgetShare, HeldBudgets, ServerEntry } from './brokerMember.js';
import type { BudgetState, SlotCoordinator } from './slotCoordinator.js';

// How the slot broker picks a server and ranks waiting members: small pure helpers.

/**
 * The server of a member's pool with the lowest in-use/limit ratio that has room for `weight` and
 * is neither blocked by a start rate nor held for another item's heavy head (`reserved`), or the
 * lowest `coordinator.serverCost` when it has one; ties go in rotation (the member's cursor moves
 * past the one chosen).
 */
export function leastLoaded<T>(
  member: BrokerMember<T>,
  coordinator: SlotCoordinator,
  weight = 1,
  reserved?: HeldBudgets,
): ServerEntry | undefined {
  const servers = member.servers;
  const count = servers.length;
  let best: ServerEntry | undefined;
  let bestIndex = 0;
  let bestLoad = Infinity;
  const cost = coordinator.serverCost;
  for (let i = 0; i < count; i++) {
    const index = (member.cursor + i) % count;
    const entry = servers[index] as ServerEntry;
    const { limit, inUse, blocked } = coordinator.budget(entry.budget);
    if (inUse + weight > limit || blocked === true || reserved?.has(entry.budget) === true) continue;
    const load = cost !== undefined ? cost.call(coordinator, entry.key) : limit === Infinity ? 0 : inUse / limit;
    if (load < bestLoad) {
      best = entry;
      bestIndex = index;
      bestLoad = load;
    }
  }
  if (best !== undefined) member.cursor = (bestIndex + 1) % count;
  return best;
}

/** The heaviest start a budget can ever take: a heavier head is passed over there. */
export const capOf = (state: BudgetState): number => state.cap ?? state.limit;

/** A member's server to use next in a budget it reaches through several (they take turns). */
export function nextEntry(share: BudgetShare): ServerEntry {
  return share.entries[share.cursor % share.entries.length] as ServerEntry;
}

/** The heap a class of several members ranks their heads in; none without a comparator (they take turns). */
export function bidHeap<T>(compare: Comparator<T> | undefined): Heap<Bid<T>> | undefined {
  if (compare === undefined) return undefined;
  return new Heap<Bid<T>>(compare === compareRanked ? compareRanked : (a, b) => compare(a.head, b.head));
}

/**
 * The member whose head ranks best in a class (dropping stale bids on the way), or without a
 * comparator the first in turn order that has something waiting. `passed`: members whose head is
 * too heavy for the budget being filled (their bids were set aside by the caller).
 */
export function bestWaiting<T>(group: BudgetClass<T>, passed: readonly BrokerMember<T>[] | undefined): BrokerMember<T> | undefined {
  const members = group.members;
  if (members.length === 1) {
    const only = members[0] as BrokerMember<T>;
    return only.hasWaiting && passed === undefined ? only : undefined;
  }
  const bids = group.bids;
  if (bids === undefined) {
    for (const member of members) if (member.hasWaiting && passed?.includes(member) !== true) return member;
    return undefined;
  }
  for (;;) {
    const bid = bids.peek();
    if (bid === undefined) return undefined;
    const member = bid.member;
    if (!member.hasWaiting) {
      bids.pop();
      member.bidHead = undefined;
      continue;
    }
    // Its head changed (pulled, cancelled, or a better one arrived): the current head has its own
    // bid, this one is stale. So is a bid made before the member left this class (its gen moved on).
    if (bid.head !== member.bidHead || bid.seq !== member.bidSeq || bid.gen !== member.bidGen) {
      bids.pop();
      continue;
    }
    return member;
  }
}

export function rotateToEnd<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0 && index < list.length - 1) {
    list.splice(index, 1);
    list.push(item);
  }
}
