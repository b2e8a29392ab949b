import { Heap } from 'heap-js';
import { compareRanked } from '../queues/levelQueue.js';
import type { Comparator } from '../queues/pullQueue.js';
import type { Bid, BrokerMember, BudgetClass, BudgetShare, ServerEntry } from './brokerMember.js';
import type { SlotCoordinator } from './slotCoordinator.js';

// How the slot broker picks a server and ranks waiting members: small pure helpers.

/**
 * The server of a member's pool with the lowest in-use/limit ratio that has room and is not
 * blocked by a start rate (or the lowest `coordinator.serverCost`, when it has one); ties go in
 * rotation (the member's cursor moves past the one chosen).
 */
export function leastLoaded<T>(member: BrokerMember<T>, coordinator: SlotCoordinator): ServerEntry | undefined {
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
    if (inUse >= limit || blocked === true) continue;
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

/** A member's server to use next in a budget it reaches through several (they take turns). */
export function nextEntry(share: BudgetShare): ServerEntry {
  return share.entries[share.cursor % share.entries.length] as ServerEntry;
}

/** The heap a class of several members ranks their heads in; none without a comparator (they take turns). */
export function bidHeap<T>(compare: Comparator<T> | undefined): Heap<Bid<T>> | undefined {
  if (compare === undefined) return undefined;
  return new Heap<Bid<T>>(compare === compareRanked ? compareRanked : (a, b) => compare(a.head, b.head));
}

/** The member of a class whose head is best (its bid is on top and current), if any waits. */
export function bestWaiting<T>(group: BudgetClass<T>): BrokerMember<T> | undefined {
  const members = group.members;
  if (members.length === 1) {
    const only = members[0] as BrokerMember<T>;
    return only.hasWaiting ? only : undefined;
  }
  const bids = group.bids;
  if (bids === undefined) return firstWaiting(members);
  for (;;) {
    const bid = bids.peek();
    if (bid === undefined) return undefined;
    const member = bid.member;
    if (!member.hasWaiting) {
      bids.pop();
      member.bidHead = undefined;
      continue;
    }
    if (bid.head !== member.bidHead || bid.seq !== member.bidSeq) {
      // Its head changed (pulled, cancelled, or a better one arrived): the current head has
      // its own bid, this one is stale.
      bids.pop();
      continue;
    }
    return member;
  }
}

/** Without a comparator: the first member in turn order that has something waiting. */
export function firstWaiting<T>(members: readonly BrokerMember<T>[]): BrokerMember<T> | undefined {
  for (const member of members) if (member.hasWaiting) return member;
  return undefined;
}

export function rotateToEnd<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0 && index < list.length - 1) {
    list.splice(index, 1);
    list.push(item);
  }
}
