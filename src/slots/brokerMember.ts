import type { Ranked } from '../queues/levelQueue.js';
import type { SlotQueue } from '../queues/slotQueue.js';
import type { Heap } from 'heap-js';

/** The server slot an item runs on. */
export interface SlotLease {
  /** The pool entry, exactly as listed. */
  readonly server: string;
  /** Its normalised key. */
  readonly key: string;
  /** The slots it takes on the server's budget at once (1 unless the item is weighted). */
  readonly weight: number;
}

/** One server of a member's pool, and the budget it draws on now. */
export interface ServerEntry extends SlotLease {
  budget: string;
}

/** The lease of a weighted item: its server entry with its weight (weight 1 uses the entry itself). */
export function weighted(entry: ServerEntry, weight: number): ServerEntry {
  return weight === 1 ? entry : { server: entry.server, key: entry.key, budget: entry.budget, weight };
}

/** The servers of one member that draw on one budget, taken in rotation. */
export interface BudgetShare {
  readonly entries: ServerEntry[];
  cursor: number;
  /** The member's place in the budget's list of members (a member leaves it in O(1)). */
  at: number;
}

/** Budgets held for another item's heavy head: nothing else starts there (see Reservations). */
export interface HeldBudgets {
  has(budget: string): boolean;
}

/** How a long pool chooses its servers without a scan (see PoolLoads). */
export interface LoadIndex {
  /** A budget of the pool may have room now. */
  touch(budget: string): void;
  /** A server with room for `weight` (default 1) on a budget not `reserved` for another head. */
  choose(weight?: number, reserved?: HeldBudgets): ServerEntry | undefined;
  /** A slot was taken on the entry `choose` returned. */
  started(entry: ServerEntry): void;
}

/**
 * One `serverSlots` subscription as the broker sees it: a pool of servers, the queue its items wait
 * in, and the function that starts an item on a lease.
 * @internal
 */
export class BrokerMember<T> {
  servers: ServerEntry[] = [];
  shares = new Map<string, BudgetShare>();
  /** The classes of the budgets it draws on. */
  classes: BudgetClass<T>[] = [];
  /** True when one of its classes ranks its members by bids. */
  bids = false;
  /**
   * Its queue's head as its bids offered it. Kept exact (the queue reports every head change the
   * broker does not make itself), so a bid is checked against this field instead of a walk into
   * the queue: with 1,000 providers those walks were cache misses on every slot.
   */
  bidHead: T | undefined = undefined;
  /** The seq its last ranked bid copied (a head moved by `requeue` keeps its identity, not its seq). */
  bidSeq = 0;
  /**
   * Bumped when it leaves a class, or a class without it starts from a copy of a ranking it bid in:
   * its bids there become stale, as in a ranking built afresh (bids copy it; the member then offers
   * its head again in the classes it is in).
   */
  bidGen = 0;
  cursor = 0;
  /** A long pool's index of loads (built at its first start, dropped when its shares change). */
  loads: LoadIndex | undefined = undefined;
  /** The lease taken for the item being pulled right now. */
  pending: ServerEntry | undefined = undefined;
  /**
   * Its head was held back for its weight (it holds budgets, or was passed over as too heavy):
   * when the head changes, its budgets are ranked afresh (see Reservations).
   */
  weighed = false;

  constructor(
    readonly id: number,
    readonly queue: SlotQueue<T>,
    readonly start: (item: T, lease: SlotLease) => void,
  ) {
    this.salt = saltOf(id);
  }

  /** Its part of the hash of every member set it belongs to (see ClassTable). */
  readonly salt: number;

  /**
   * True when it has items a slot can be given to. A queue with no consumer connected (its
   * pipeline is not subscribed yet, or is being torn down) delivers nothing: offering it the slot
   * would release it, which offers it again, forever.
   */
  get hasWaiting(): boolean {
    return this.queue.size > 0 && this.queue.connected;
  }
}

/**
 * A member's head as it was when offered: stale once the head changed, and then dropped. With
 * `compareRanked` as the comparator it carries a copy of the head's rank, so ranking bids never
 * reads the items (with 1,000 providers, reading them was a cache miss per comparison).
 */
export interface Bid<T> extends Ranked {
  readonly member: BrokerMember<T>;
  readonly head: T;
  /** The member's `bidGen` when it bid. */
  readonly gen: number;
}

/**
 * Budgets drawn on by exactly the same members share a class and one ranking of those members
 * (1,000 providers over the same 16 servers: one class, not 16 scans of 1,000 queues).
 */
export interface BudgetClass<T> {
  readonly members: BrokerMember<T>[];
  /** The members' heads, best first; kept for several members when there is a comparator. */
  bids: Heap<Bid<T>> | undefined;
  /**
   * Per budget, the few members of the class that do not draw on it (they left it but stay in the
   * class for its other budgets; see Absences): a fill there passes them over. Undefined when none.
   */
  absent: Map<string, Set<BrokerMember<T>>> | undefined;
  /** The xor of its members' salts: where the index finds a class by its members. */
  hash: number;
  /** How many budgets it groups (a class left with none is dropped). */
  budgets: number;
}

/** A well-mixed 32-bit number per member id (murmur3's finaliser): member sets hash by xor. */
function saltOf(id: number): number {
  let x = Math.imul(id + 1, 0x9e3779b1);
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}
