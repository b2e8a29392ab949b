import { Multicast } from '../internal/multicast.js';
import { check, expectLimit } from '../errors/checks.js';
import { LimitTable } from './limitTable.js';
import { normalizeLimitKey } from './serverKey.js';
import type { BudgetState, SlotChange, SlotCoordinator } from './slotCoordinator.js';

export interface LocalSlotCoordinatorOptions {
  /** Initial limits by server key or URL prefix. */
  readonly limits?: Readonly<Record<string, number>>;
  /** The limit of a server that no limit key covers. @default 1 */
  readonly defaultLimit?: number;
}

/**
 * In-process slot counts. Slots are counted per server and summed per budget, so when a new
 * prefix limit moves running servers into another budget, their slots move with them: a limit
 * change never over-admits.
 */
export function localSlotCoordinator(options: LocalSlotCoordinatorOptions = {}): SlotCoordinator {
  return new LocalSlotCoordinator(options);
}

/** A budget's live count, and the change that announces room in it (reused: a release must not allocate). */
interface BudgetCount {
  readonly key: string;
  limit: number;
  inUse: number;
  /** How many server counts draw on it (it is dropped with the last one). */
  servers: number;
  readonly room: SlotChange;
}

/** What one server holds (by weight), and the budget it draws on now. */
interface ServerCount {
  held: number;
  budget: BudgetCount;
  /** No pool lists it any more: dropped when its last slot comes back. */
  unlisted: boolean;
}

class LocalSlotCoordinator implements SlotCoordinator {
  readonly #table: LimitTable;
  // Slots are counted per server and summed per budget; taking or giving one back is one lookup.
  readonly #servers = new Map<string, ServerCount>();
  readonly #budgets = new Map<string, BudgetCount>();
  readonly #changes = new Multicast<SlotChange>();
  readonly changes$ = this.#changes.observable;
  readonly countsWeights = true;

  constructor(options: LocalSlotCoordinatorOptions) {
    const defaultLimit = options.defaultLimit ?? 1;
    check('defaultServerLimit', defaultLimit, expectLimit);
    this.#table = new LimitTable(defaultLimit);
    for (const [key, limit] of Object.entries(options.limits ?? {})) {
      check(`serverLimits[${JSON.stringify(key)}]`, limit, expectLimit);
      this.#table.set(key, limit);
    }
  }

  budgetOf(serverKey: string): string {
    return this.#table.budgetOf(serverKey);
  }

  budgetKey(written: string): string {
    return this.#table.budgetKey(written);
  }

  budget(budgetKey: string): BudgetState {
    // A key the budgets already know (the broker's, on every start) needs no normalising.
    const count = this.#budgets.get(budgetKey) ?? this.#budgets.get(this.#table.budgetKey(budgetKey));
    if (count !== undefined) return { limit: count.limit, inUse: count.inUse };
    return { limit: this.#table.limitOf(this.#table.budgetKey(budgetKey)), inUse: 0 };
  }

  tryAcquire(serverKey: string, weight = 1): boolean {
    const server = this.#serverCount(serverKey);
    const budget = server.budget;
    if (budget.inUse + weight > budget.limit) return false;
    budget.inUse += weight;
    server.held += weight;
    return true;
  }

  release(serverKey: string, weight = 1): void {
    const server = this.#servers.get(serverKey);
    if (server === undefined || server.held < weight) return; // an unmatched release must never create room
    server.held -= weight;
    server.budget.inUse -= weight;
    const room = server.budget.room;
    if (server.unlisted && server.held === 0) this.#drop(serverKey, server);
    this.#changes.next(room);
  }

  forget(serverKey: string): void {
    const server = this.#servers.get(serverKey);
    if (server === undefined) {
      this.#table.forget(serverKey); // looked up but never started on: its memos still go
      return;
    }
    if (server.held > 0) server.unlisted = true;
    else this.#drop(serverKey, server);
  }

  /** What this coordinator keeps, by count (servers and budgets). @internal */
  tracked(): { servers: number; budgets: number } {
    return { servers: this.#servers.size, budgets: this.#budgets.size };
  }

  /** How many memo entries its limit table keeps. @internal */
  memoized(): number {
    return this.#table.memoized();
  }

  #drop(serverKey: string, server: ServerCount): void {
    this.#servers.delete(serverKey);
    this.#table.forget(serverKey);
    const budget = server.budget;
    if (--budget.servers === 0 && budget.inUse === 0) this.#budgets.delete(budget.key);
  }

  setLimit(keyOrPrefix: string, limit: number): void {
    check('limit', limit, expectLimit);
    const before = this.#table.entries().size;
    this.#table.set(keyOrPrefix, limit);
    if (this.#table.entries().size !== before) {
      this.#regroup();
      return;
    }
    // A limit key is its own budget; a raised limit may give that budget room.
    const budget = this.#budgetCount(normalizeLimitKey(keyOrPrefix));
    budget.limit = limit + 0;
    this.#changes.next(budget.room);
  }

  removeLimit(keyOrPrefix: string): void {
    if (this.#table.remove(keyOrPrefix)) this.#regroup();
  }

  limits(): ReadonlyMap<string, number> {
    return this.#table.entries();
  }

  close(): Promise<void> {
    this.#changes.complete();
    return Promise.resolve();
  }

  #serverCount(serverKey: string): ServerCount {
    let server = this.#servers.get(serverKey);
    if (server === undefined) {
      server = { held: 0, budget: this.#budgetCount(this.#table.budgetOf(serverKey)), unlisted: false };
      server.budget.servers++;
      this.#servers.set(serverKey, server);
    } else if (server.unlisted) {
      server.unlisted = false; // listed again before its last slot came back
    }
    return server;
  }

  #budgetCount(key: string): BudgetCount {
    let budget = this.#budgets.get(key);
    if (budget === undefined) {
      budget = { key, limit: this.#table.limitOf(key), inUse: 0, servers: 0, room: { type: 'room', budget: key } };
      this.#budgets.set(key, budget);
    }
    return budget;
  }

  // The set of limit keys changed: servers may draw on other budgets now. Recount every budget
  // from the per-server counts, so running work keeps counting where it now belongs.
  #regroup(): void {
    for (const budget of this.#budgets.values()) {
      budget.inUse = 0;
      budget.servers = 0;
      budget.limit = this.#table.limitOf(budget.key);
    }
    for (const [key, server] of this.#servers) {
      server.budget = this.#budgetCount(this.#table.budgetOf(key));
      server.budget.inUse += server.held;
      server.budget.servers++;
    }
    // Budgets no server draws on any more (their limit stays in the table).
    for (const [key, budget] of this.#budgets) if (budget.servers === 0) this.#budgets.delete(key);
    this.#changes.next({ type: 'budgets' });
  }
}
