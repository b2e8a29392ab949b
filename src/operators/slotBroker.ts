import { Heap } from 'heap-js';
import type { Subscription } from 'rxjs';
import { localSlotCoordinator } from '../providers/localSlotCoordinator.js';
import { normalizeServerKey } from '../providers/serverKey.js';
import type { SlotChange, SlotCoordinator } from '../providers/slotCoordinator.js';
import { compareRanked, type Ranked } from './levelQueue.js';
import type { Comparator } from './pullQueue.js';
import type { SlotQueue } from './slotQueue.js';

/** The server slot an item runs on. */
export interface SlotLease {
  /** The pool entry, exactly as listed. */
  readonly server: string;
  /** Its normalised key. */
  readonly key: string;
}

interface ServerEntry extends SlotLease {
  budget: string;
}

/** The servers of one member that draw on one budget, taken in rotation. */
interface BudgetShare {
  readonly entries: ServerEntry[];
  cursor: number;
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
  cursor = 0;
  /** The lease taken for the item being pulled right now. */
  pending: ServerEntry | undefined = undefined;

  constructor(
    readonly id: number,
    readonly queue: SlotQueue<T>,
    readonly start: (item: T, lease: SlotLease) => void,
  ) {}
}

/**
 * A member's head as it was when offered: stale once the head changed, and then dropped. With
 * {@link compareRanked} as the comparator it carries a copy of the head's rank, so ranking bids
 * never reads the items (with 1,000 providers, reading them was a cache miss per comparison).
 */
interface Bid<T> extends Ranked {
  readonly member: BrokerMember<T>;
  readonly head: T;
}

/**
 * Budgets drawn on by exactly the same members share a class and one ranking of those members
 * (1,000 providers over the same 16 servers: one class, not 16 scans of 1,000 queues).
 */
interface BudgetClass<T> {
  readonly members: BrokerMember<T>[];
  /** The members' heads, best first; kept for several members when there is a comparator. */
  readonly bids: Heap<Bid<T>> | undefined;
}

export interface SlotBrokerOptions<T> {
  /** Where slots come from. @default localSlotCoordinator() (in-process, default limit 1) */
  readonly coordinator?: SlotCoordinator;
  /**
   * Ranks the heads of the members' queues when a slot frees on a server several of them list:
   * the best head takes it. Without it, members are served in turn. For items that carry their
   * rank ({@link Ranked}), pass {@link compareRanked}: the broker then ranks copies of the heads'
   * ranks and never reads the items while ranking.
   */
  readonly compare?: Comparator<T>;
}

/**
 * The shared state behind {@link serverSlots}: which pools list which budgets, and who gets a slot
 * when one frees. Share one broker between the `serverSlots` of several pipelines (one per
 * provider) so that servers they have in common are one budget, and a freed slot goes to the most
 * urgent waiting item of any pipeline that can use it.
 *
 * Invariant kept after every change: no budget has room while a member that lists it has a
 * waiting item. So an arrival only needs work when its queue was empty, and a release only looks
 * at the members of the budget that freed.
 */
export class SlotBroker<T> {
  readonly coordinator: SlotCoordinator;
  readonly #compare: Comparator<T> | undefined;
  /** The comparator is `compareRanked`: bids copy the heads' ranks. */
  readonly #copiesRank: boolean;
  readonly #members = new Set<BrokerMember<T>>();
  readonly #membersByBudget = new Map<string, BrokerMember<T>[]>();
  readonly #classOfBudget = new Map<string, BudgetClass<T>>();
  readonly #commonEntry = new Map<string, ServerEntry>();
  // The two maps above (and each member's shares and classes) are rebuilt lazily, once, when first
  // needed after a change: a manager opening 1,000 providers must not rebuild them 1,000 times.
  #indexStale = true;
  #nextMemberId = 0;
  // Work noted while the broker is busy: a budget key (room there) or a member (items arrived).
  // Running it from one loop keeps synchronous completions from recursing.
  #jobs: Array<string | BrokerMember<T>> = [];
  #jobHead = 0;
  #busy = false;
  readonly #changes: Subscription;

  constructor(options: SlotBrokerOptions<T> = {}) {
    this.coordinator = options.coordinator ?? localSlotCoordinator();
    this.#compare = options.compare;
    this.#copiesRank = options.compare === compareRanked;
    this.#changes = this.coordinator.changes$.subscribe((change) => this.#onChange(change));
  }

  /** Registers a pool; call `setServers` to give it servers. */
  join(queue: SlotQueue<T>, start: (item: T, lease: SlotLease) => void): BrokerMember<T> {
    const member = new BrokerMember(this.#nextMemberId++, queue, start);
    this.#members.add(member);
    queue.watch(
      () => {
        // Offered at once: a slot freeing before this member's turn in the job loop sees it.
        this.#bid(member);
        this.#enqueue(member);
      },
      () => this.#bid(member),
    );
    return member;
  }

  leave(member: BrokerMember<T>): void {
    if (!this.#members.delete(member)) return;
    member.servers = [];
    this.#indexStale = true;
  }

  /** Replaces a member's pool. Exact duplicates are dropped; running work is not touched. */
  setServers(member: BrokerMember<T>, servers: readonly string[]): void {
    const seen = new Set<string>();
    member.servers = [];
    for (const server of servers) {
      if (seen.has(server)) continue;
      seen.add(server);
      const key = normalizeServerKey(server);
      member.servers.push({ server, key, budget: this.coordinator.budgetOf(key) });
    }
    member.cursor = 0;
    this.#indexStale = true;
    this.#enqueue(member);
  }

  /** Budget keys a member's pool draws on. */
  budgetsOf(member: BrokerMember<T>): IterableIterator<string> {
    this.#index();
    return member.shares.keys();
  }

  /** Members whose pool draws on a budget. */
  membersOf(budget: string): readonly BrokerMember<T>[] {
    this.#index();
    return this.#membersByBudget.get(budget) ?? [];
  }

  /** Every budget some member draws on. */
  budgets(): IterableIterator<string> {
    this.#index();
    return this.#membersByBudget.keys();
  }

  /** Gives back a lease. Idempotence is the caller's job (serverSlots releases once). */
  release(lease: SlotLease): void {
    this.coordinator.release(lease.key);
  }

  dispose(): void {
    this.#changes.unsubscribe();
    this.#members.clear();
    this.#membersByBudget.clear();
  }

  #onChange(change: SlotChange): void {
    if (change.type === 'room') {
      this.#enqueue(change.budget);
      return;
    }
    for (const member of this.#members) {
      for (const entry of member.servers) entry.budget = this.coordinator.budgetOf(entry.key);
    }
    this.#indexStale = true;
    this.#index();
    for (const budget of this.#membersByBudget.keys()) this.#enqueue(budget);
  }

  #index(): void {
    if (!this.#indexStale) return;
    this.#indexStale = false;
    this.#membersByBudget.clear();
    for (const member of this.#members) {
      member.shares = new Map();
      for (const entry of member.servers) {
        let share = member.shares.get(entry.budget);
        if (share === undefined) {
          share = { entries: [], cursor: 0 };
          member.shares.set(entry.budget, share);
          let members = this.#membersByBudget.get(entry.budget);
          if (members === undefined) this.#membersByBudget.set(entry.budget, (members = []));
          members.push(member);
        }
        share.entries.push(entry);
      }
    }
    this.#findCommonEntries();
    this.#regroupClasses();
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

  /** Groups budgets by their members, and seeds each ranked class with its members' heads. */
  #regroupClasses(): void {
    this.#classOfBudget.clear();
    for (const member of this.#members) {
      member.classes = [];
      member.bids = false;
      member.bidHead = undefined;
    }
    const byMembers = new Map<string, BudgetClass<T>>();
    for (const [budget, members] of this.#membersByBudget) {
      const key = members.map((m) => m.id).join(',');
      let group = byMembers.get(key);
      if (group === undefined) {
        const compare = this.#compare;
        const ranked = compare !== undefined && members.length > 1;
        group = { members, bids: ranked ? new Heap<Bid<T>>(this.#copiesRank ? compareRanked : (a, b) => compare(a.head, b.head)) : undefined };
        byMembers.set(key, group);
        for (const member of members) {
          member.classes.push(group);
          if (ranked) member.bids = true;
        }
      }
      this.#classOfBudget.set(budget, group);
    }
    for (const member of this.#members) this.#bid(member);
  }

  /** Offers a member's current head to its ranked classes (after it changed), but `except`. */
  #bid(member: BrokerMember<T>, except?: BudgetClass<T>): void {
    if (!hasWaiting(member)) return;
    this.#index();
    if (!member.bids) return;
    const head = member.queue.peek() as T;
    if (head === member.bidHead && except === undefined) return;
    member.bidHead = head;
    const bid = this.#bidFor(member, head);
    for (const group of member.classes) {
      const bids = group.bids;
      if (bids === undefined || group === except) continue;
      bids.push(bid);
      // Stale bids of members that rarely win sink and stay: rebuild once they dominate.
      if (bids.size() > 4 * group.members.length + 64) this.#rebuildBids(group);
    }
  }

  #bidFor(member: BrokerMember<T>, head: T): Bid<T> {
    if (!this.#copiesRank) return { member, head, lane: 0, priority: 0, seq: 0 };
    const { lane, priority, seq } = head as Ranked;
    return { member, head, lane, priority, seq };
  }

  #rebuildBids(group: BudgetClass<T>): void {
    const bids = group.bids as Heap<Bid<T>>;
    bids.clear();
    for (const member of group.members) {
      if (!hasWaiting(member)) continue;
      const head = member.queue.peek() as T;
      bids.push(this.#bidFor(member, head));
      member.bidHead = head;
    }
  }

  #enqueue(job: string | BrokerMember<T>): void {
    this.#jobs.push(job);
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#jobHead < this.#jobs.length) {
        const next = this.#jobs[this.#jobHead++] as string | BrokerMember<T>;
        if (typeof next === 'string') this.#fillBudget(next);
        else this.#fillMember(next);
      }
    } finally {
      this.#jobs.length = 0; // reused: a release must not allocate
      this.#jobHead = 0;
      this.#busy = false;
    }
  }

  /** Room may have appeared on a budget: give it to the best waiting items that can use it. */
  #fillBudget(budget: string): void {
    this.#index();
    const group = this.#classOfBudget.get(budget);
    if (group === undefined) return;
    const common = this.#commonEntry.get(budget);
    for (;;) {
      const member = this.#bestWaiting(group);
      if (member === undefined) return;
      const entry = common ?? this.#nextEntry(member, budget);
      if (!this.coordinator.tryAcquire(entry.key)) return;
      if (common === undefined) this.#advance(member, budget);
      this.#served(budget, member);
      this.#deliver(member, entry, group);
    }
  }

  /** The member's server to use next in a budget it reaches through several (in rotation). */
  #nextEntry(member: BrokerMember<T>, budget: string): ServerEntry {
    const share = member.shares.get(budget) as BudgetShare;
    return share.entries[share.cursor % share.entries.length] as ServerEntry;
  }

  #advance(member: BrokerMember<T>, budget: string): void {
    const share = member.shares.get(budget) as BudgetShare;
    share.cursor = (share.cursor + 1) % share.entries.length;
  }

  /** Items arrived in an empty queue: start them on the least loaded servers that have room. */
  #fillMember(member: BrokerMember<T>): void {
    this.#bid(member);
    while (hasWaiting(member)) {
      const entry = this.#leastLoaded(member);
      if (entry === undefined || !this.coordinator.tryAcquire(entry.key)) return;
      this.#served(entry.budget, member);
      this.#deliver(member, entry);
    }
  }

  /** `won`: the class whose top bid the member won with, if any. */
  #deliver(member: BrokerMember<T>, entry: ServerEntry, won?: BudgetClass<T>): void {
    member.pending = entry;
    member.queue.pull();
    // The pulled item never reached `start` (the queue was empty, or an operator between the
    // buffer and serverSlots dropped it): the slot must not leak.
    if (member.pending !== undefined) {
      member.pending = undefined;
      this.coordinator.release(entry.key);
    }
    if (member.bids) {
      // Its head left: the next head is offered even if it is the same task again (a retry).
      member.bidHead = undefined;
      const bids = won?.bids;
      // The winning bid is still the top (unless the work just started pushed another): swap it
      // for the next head in one sift instead of a push now and a pop of the stale one later.
      if (bids !== undefined && bids.peek()?.member === member) {
        if (hasWaiting(member)) {
          const head = member.queue.peek() as T;
          bids.replace(this.#bidFor(member, head));
          member.bidHead = head;
        } else {
          bids.pop();
        }
        this.#bid(member, won);
      } else {
        this.#bid(member);
      }
    }
  }

  #bestWaiting(group: BudgetClass<T>): BrokerMember<T> | undefined {
    const members = group.members;
    if (members.length === 1) {
      const only = members[0] as BrokerMember<T>;
      return hasWaiting(only) ? only : undefined;
    }
    const bids = group.bids;
    if (bids === undefined) return firstWaiting(members);
    for (;;) {
      const bid = bids.peek();
      if (bid === undefined) return undefined;
      const member = bid.member;
      if (!hasWaiting(member)) {
        bids.pop();
        member.bidHead = undefined;
        continue;
      }
      if (bid.head !== member.bidHead) {
        // Its head changed (pulled, cancelled, or a better one arrived): the current head has
        // its own bid, this one is stale.
        bids.pop();
        continue;
      }
      return member;
    }
  }

  /**
   * Without a comparator, members take turns: the one that got a slot goes last in its budget's
   * class. Only after it got the slot: rotating on a failed attempt undid the previous turn.
   */
  #served(budget: string, member: BrokerMember<T>): void {
    if (this.#compare !== undefined) return;
    this.#index();
    const members = this.#classOfBudget.get(budget)?.members;
    if (members !== undefined && members.length > 1) rotateToEnd(members, member);
  }

  /** The server with the lowest in-use/limit ratio that has room; ties go in rotation. */
  #leastLoaded(member: BrokerMember<T>): ServerEntry | undefined {
    const servers = member.servers;
    const count = servers.length;
    let best: ServerEntry | undefined;
    let bestIndex = 0;
    let bestLoad = Infinity;
    for (let i = 0; i < count; i++) {
      const index = (member.cursor + i) % count;
      const entry = servers[index] as ServerEntry;
      const { limit, inUse } = this.coordinator.budget(entry.budget);
      if (inUse >= limit) continue;
      const load = limit === Infinity ? 0 : inUse / limit;
      if (load < bestLoad) {
        best = entry;
        bestIndex = index;
        bestLoad = load;
      }
    }
    if (best !== undefined) member.cursor = (bestIndex + 1) % count;
    return best;
  }
}

/**
 * True when the member has items a slot can be given to. A queue with no consumer connected (its
 * pipeline is not subscribed yet, or is being torn down) delivers nothing: offering it the slot
 * would release it, which offers it again, forever.
 */
function hasWaiting<T>(member: BrokerMember<T>): boolean {
  return member.queue.size > 0 && member.queue.connected;
}

/** Without a comparator: the first member in turn order that has something waiting. */
function firstWaiting<T>(members: readonly BrokerMember<T>[]): BrokerMember<T> | undefined {
  for (const member of members) if (hasWaiting(member)) return member;
  return undefined;
}

function rotateToEnd<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0 && index < list.length - 1) {
    list.splice(index, 1);
    list.push(item);
  }
}
