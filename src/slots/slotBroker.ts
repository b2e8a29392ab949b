import type { Subscription } from 'rxjs';
import { localSlotCoordinator } from './localSlotCoordinator.js';
import { normalizeServerKey } from './serverKey.js';
import type { SlotChange, SlotCoordinator } from './slotCoordinator.js';
import { BrokerIndex } from './brokerIndex.js';
import { ListedServers } from './listedServers.js';
import { BrokerMember, type BudgetClass, type BudgetShare, type ServerEntry, type SlotLease, weighted } from './brokerMember.js';
import { compareRanked, type Ranked } from '../queues/levelQueue.js';
import { bestWaiting, bidHeap, capOf, nextEntry, rotateToEnd } from './serverChoice.js';
import { LongPools } from './choice/longPools.js';
import { JobLoop } from './jobLoop.js';
import { Reservations } from './reservations.js';
import { bidFor, rebuildBids, restoreBids } from './bids.js';
import type { Comparator } from '../queues/pullQueue.js';
import type { SlotQueue } from '../queues/slotQueue.js';

export type { SlotLease } from './brokerMember.js';

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
  /** Slots of its budget an item takes at once: a positive integer (not checked here), 1 when absent; see Reservations. */
  readonly weightOf?: (item: T) => number;
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
  readonly #index: BrokerIndex<T>;
  readonly weightOf: ((item: T) => number) | undefined;
  readonly #reservations = new Reservations<T>((budget) => this.#jobs.add(budget));
  #nextMemberId = 0;
  readonly #listed: ListedServers;
  readonly #longPools: LongPools<T>;
  // A job: a budget key (room there) or a member (items arrived in its empty queue).
  readonly #jobs = new JobLoop<string | BrokerMember<T>>((job) => (typeof job === 'string' ? this.#fillBudget(job) : this.#fillMember(job)));
  readonly #changes: Subscription;

  constructor(options: SlotBrokerOptions<T> = {}) {
    const compare = options.compare;
    this.coordinator = options.coordinator ?? localSlotCoordinator();
    this.#compare = compare;
    this.#copiesRank = compare === compareRanked;
    this.weightOf = options.weightOf;
    this.#index = new BrokerIndex<T>(() => bidHeap(compare));
    const coordinator = this.coordinator;
    this.#listed = new ListedServers((key) => coordinator.forget?.(key));
    this.#longPools = new LongPools<T>(coordinator, () => this.#refresh());
    this.#changes = this.coordinator.changes$.subscribe((change) => this.#onChange(change));
  }

  /** Registers a pool; call `setServers` to give it servers. @internal (serverSlots calls it) */
  join(queue: SlotQueue<T>, start: (item: T, lease: SlotLease) => void): BrokerMember<T> {
    const member = new BrokerMember(this.#nextMemberId++, queue, start);
    this.#index.members.add(member);
    queue.watch(
      () => {
        // Offered at once: a slot freeing before this member's turn in the job loop sees it.
        this.#bid(member);
        this.#jobs.add(member);
      },
      () => {
        this.#bid(member);
        if (member.weighed) this.#reservations.headChanged(member);
      },
    );
    return member;
  }

  /** @internal */
  leave(member: BrokerMember<T>): void {
    if (!this.#index.members.has(member)) return;
    const budgets = [...member.shares.keys()];
    const offer = this.#index.leave(member);
    this.#longPools.delete(member);
    this.#listed.replace(member.servers, []);
    member.servers = [];
    // After the index lets go of it: the budgets it held are ranked without it.
    if (member.weighed) this.#reservations.headChanged(member, budgets);
    for (const other of offer ?? []) this.#bid(other);
  }

  /** Replaces a member's pool. Exact duplicates are dropped; running work is not touched. @internal */
  setServers(member: BrokerMember<T>, servers: readonly string[]): void {
    const seen = new Set<string>();
    const before = member.servers;
    member.servers = [];
    for (const server of servers) {
      if (seen.has(server)) continue;
      seen.add(server);
      const key = normalizeServerKey(server);
      member.servers.push({ server, key, budget: this.coordinator.budgetOf(key), weight: 1 });
    }
    this.#listed.replace(before, member.servers);
    member.cursor = 0;
    this.#index.changed(member);
    // A budget held for its heavy head may have left its pool: the hold must not outlive it.
    if (member.weighed) this.#reservations.headChanged(member);
    this.#jobs.add(member);
  }

  /** Budget keys a member's pool draws on. @internal */
  budgetsOf(member: BrokerMember<T>): IterableIterator<string> {
    this.#refresh();
    return member.shares.keys();
  }

  /** Members whose pool draws on a budget. @internal */
  membersOf(budget: string): readonly BrokerMember<T>[] {
    this.#refresh();
    return this.#index.membersOf(budget) ?? [];
  }

  /** Every budget some member draws on. */
  budgets(): IterableIterator<string> {
    this.#refresh();
    return this.#index.budgets();
  }

  /** Gives back a lease. Idempotence is the caller's job (serverSlots releases once). @internal */
  release(lease: SlotLease): void {
    this.coordinator.release(lease.key, lease.weight);
  }

  dispose(): void {
    this.#changes.unsubscribe();
    this.#index.clear();
    this.#reservations.clear();
    this.#longPools.clear();
  }

  #onChange(change: SlotChange): void {
    if (change.type === 'room') {
      this.#longPools.touch(change.budget);
      this.#jobs.add(change.budget);
      return;
    }
    this.#reservations.clear();
    for (const member of this.#index.members) {
      for (const entry of member.servers) entry.budget = this.coordinator.budgetOf(entry.key);
    }
    // A limit rule that regroups budgets may move every member: a change of the limit table, not
    // of a pool, so it rebuilds the index (pool changes and members leaving update it in place).
    this.#index.invalidate();
    this.#refresh();
    for (const budget of this.#index.budgets()) this.#jobs.add(budget);
  }

  /** Brings the index up to date; the heads of the members it changed are offered afresh. */
  #refresh(): void {
    const changed = this.#index.refresh();
    if (changed !== undefined) for (const member of changed) this.#bid(member);
  }

  /** Offers a member's current head to its ranked classes (after it changed), but `except`. */
  #bid(member: BrokerMember<T>, except?: BudgetClass<T>): void {
    if (!member.hasWaiting) return;
    this.#refresh();
    if (!member.bids) return;
    const head = member.queue.peek() as T;
    // The same head re-ranked in place (LevelQueue.requeue gives it a fresh seq) needs a new bid.
    if (head === member.bidHead && except === undefined && (!this.#copiesRank || (head as Ranked).seq === member.bidSeq)) return;
    member.bidHead = head;
    const bid = bidFor(member, head, this.#copiesRank);
    for (const group of member.classes) {
      const bids = group.bids;
      if (bids === undefined || group === except) continue;
      bids.add(bid);
      // Stale bids of members that rarely win sink and stay: rebuild once they dominate.
      if (bids.size() > 4 * group.members.length + 64) rebuildBids(group, this.#copiesRank);
    }
  }

  /**
   * Room may have appeared on a budget: give it to the best waiting items that can use it. A best
   * item that does not fit yet holds the budget (Reservations); one heavier than the budget's
   * limit can never start there and is passed over.
   */
  #fillBudget(budget: string): void {
    this.#refresh();
    const group = this.#index.classOf(budget);
    if (group === undefined) return;
    if (this.#reservations.size > 0) this.#reservations.free(budget);
    const common = this.#index.commonEntry(budget);
    let passed: BrokerMember<T>[] | undefined;
    try {
      for (;;) {
        const member = bestWaiting(group, passed);
        if (member === undefined) return;
        const weight = this.#headWeight(member);
        // Passed over: a member of the class that left this budget (see Absences), a head too heavy for it.
        const absent = group.absent?.get(budget)?.has(member) === true;
        if (absent || (weight !== 1 && weight > capOf(this.coordinator.budget(budget)))) {
          (passed ??= []).push(member);
          if (!absent) member.weighed = true;
          group.bids?.pop();
          continue;
        }
        const share = common === undefined ? (member.shares.get(budget) as BudgetShare) : undefined;
        const entry = common ?? nextEntry(share as BudgetShare);
        if (!this.coordinator.tryAcquire(entry.key, weight)) {
          if (weight !== 1) this.#reservations.hold(budget, member);
          return;
        }
        if (share !== undefined) share.cursor = (share.cursor + 1) % share.entries.length;
        this.#served(budget, member);
        this.#deliver(member, weighted(entry, weight), group);
      }
    } finally {
      if (passed !== undefined) restoreBids(group, passed, this.#copiesRank);
    }
  }

  /** Items arrived in an empty queue: start them on the least loaded servers that have room. */
  #fillMember(member: BrokerMember<T>): void {
    this.#bid(member);
    while (member.hasWaiting) {
      const weight = this.#headWeight(member);
      const reserved = this.#reservations.size > 0 ? this.#reservations : undefined;
      const entry = this.#longPools.choose(member, weight, reserved);
      if (entry === undefined || !this.coordinator.tryAcquire(entry.key, weight)) {
        // A heavy head, or a head that may outrank the one a budget is held for: the budgets rank
        // their waiting items, and the best one starts or holds the budget.
        if (weight !== 1 || reserved !== undefined) this.#reservations.rankBudgetsOf(member, weight !== 1);
        return;
      }
      member.loads?.started(entry);
      this.#served(entry.budget, member);
      this.#deliver(member, weighted(entry, weight));
    }
  }

  #headWeight(member: BrokerMember<T>): number {
    return this.weightOf === undefined ? 1 : this.weightOf(member.queue.peek() as T);
  }

  /** `won`: the class whose top bid the member won with, if any. */
  #deliver(member: BrokerMember<T>, entry: ServerEntry, won?: BudgetClass<T>): void {
    member.pending = entry;
    member.queue.pull();
    // The pulled item never reached `start` (the queue was empty, or an operator between the
    // buffer and serverSlots dropped it): the slot must not leak.
    if (member.pending !== undefined) {
      member.pending = undefined;
      this.coordinator.release(entry.key, entry.weight);
    }
    if (member.weighed) this.#reservations.headChanged(member);
    if (member.bids) {
      // Its head left: the next head is offered even if it is the same task again (a retry).
      member.bidHead = undefined;
      const bids = won?.bids;
      // The winning bid is still the top (unless the work just started pushed another): swap it
      // for the next head in one sift instead of a push now and a pop of the stale one later.
      if (bids !== undefined && bids.peek()?.member === member) {
        if (member.hasWaiting) {
          const head = member.queue.peek() as T;
          bids.replace(bidFor(member, head, this.#copiesRank));
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

  /**
   * Without a comparator, members take turns: the one that got a slot goes last in its budget's
   * class. Only after it got the slot: rotating on a failed attempt undid the previous turn.
   */
  #served(budget: string, member: BrokerMember<T>): void {
    if (this.#compare !== undefined) return;
    this.#refresh();
    const members = this.#index.classOf(budget)?.members;
    if (members !== undefined && members.length > 1) rotateToEnd(members, member);
  }
}

