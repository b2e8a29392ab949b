import { Subject } from 'rxjs';
import { check, expectLimit } from '../errors/checks.js';
import { LimitTable } from './limitTable.js';
import { normalizeServerKey } from './serverKey.js';
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

class LocalSlotCoordinator implements SlotCoordinator {
  readonly #table: LimitTable;
  // Slots held per server key, and their sum per budget key.
  readonly #serverInUse = new Map<string, number>();
  readonly #budgetInUse = new Map<string, number>();
  readonly #changes = new Subject<SlotChange>();
  // One 'room' change per budget, reused: a release must not allocate.
  readonly #roomChanges = new Map<string, SlotChange>();
  readonly changes$ = this.#changes.asObservable();

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

  budget(budgetKey: string): BudgetState {
    return { limit: this.#table.limitOf(budgetKey), inUse: this.#budgetInUse.get(budgetKey) ?? 0 };
  }

  tryAcquire(serverKey: string): boolean {
    const budget = this.budgetOf(serverKey);
    const inUse = this.#budgetInUse.get(budget) ?? 0;
    if (inUse >= this.#table.limitOf(budget)) return false;
    this.#budgetInUse.set(budget, inUse + 1);
    this.#serverInUse.set(serverKey, (this.#serverInUse.get(serverKey) ?? 0) + 1);
    return true;
  }

  release(serverKey: string): void {
    const held = this.#serverInUse.get(serverKey) ?? 0;
    if (held <= 0) return; // an unmatched release must never create room
    if (held === 1) this.#serverInUse.delete(serverKey);
    else this.#serverInUse.set(serverKey, held - 1);
    const budget = this.budgetOf(serverKey);
    const inUse = (this.#budgetInUse.get(budget) ?? 1) - 1;
    if (inUse === 0) this.#budgetInUse.delete(budget);
    else this.#budgetInUse.set(budget, inUse);
    this.#changes.next(this.#room(budget));
  }

  setLimit(keyOrPrefix: string, limit: number): void {
    check('limit', limit, expectLimit);
    const before = this.#table.entries().size;
    this.#table.set(keyOrPrefix, limit);
    if (this.#table.entries().size !== before) this.#regroup();
    // A limit key is its own budget; a raised limit may give that budget room.
    else this.#changes.next(this.#room(normalizeServerKey(keyOrPrefix)));
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

  #room(budget: string): SlotChange {
    let change = this.#roomChanges.get(budget);
    if (change === undefined) this.#roomChanges.set(budget, (change = { type: 'room', budget }));
    return change;
  }

  // The set of limit keys changed: servers may draw on other budgets now. Recount every budget
  // from the per-server counts, so running work keeps counting where it now belongs.
  #regroup(): void {
    this.#budgetInUse.clear();
    for (const [server, held] of this.#serverInUse) {
      const budget = this.budgetOf(server);
      this.#budgetInUse.set(budget, (this.#budgetInUse.get(budget) ?? 0) + held);
    }
    this.#changes.next({ type: 'budgets' });
  }
}
