import type { Observable } from 'rxjs';

/** Something a coordinator tells the slot broker. */
export type SlotChange =
  /** A budget may have room now: a slot was released, its limit was raised, or a remote slot arrived. */
  | { readonly type: 'room'; readonly budget: string }
  /** The set of limit keys changed, so servers may now draw on other budgets: resolve them again. */
  | { readonly type: 'budgets' };

export interface BudgetState {
  /** May be Infinity; 0 pauses the budget. */
  readonly limit: number;
  /** Slots taken, counted by weight (a task of weight 2 counts 2). */
  readonly inUse: number;
  /** True when nothing may start there now although `inUse < limit` (a start rate's window or gap). */
  readonly blocked?: boolean;
  /**
   * The heaviest start the budget can ever take, when that is more than `limit`: an adaptive limit
   * below a task's weight lets it start alone on the idle budget, up to the hard limit.
   */
  readonly cap?: number;
}

/** A budget as every process sharing a coordinator sees it (`smt-rx/redis` reads it from Redis). */
export interface ClusterBudgetState {
  readonly limit: number;
  /** Slots in use in every process. */
  readonly inUse: number;
  /** Processes (instances) waiting for a slot; not tasks. */
  readonly waiters: number;
}

/** Every budget a process knows, as all processes sharing the coordinator see them: budget key -> state. */
export type ClusterStats = Readonly<Record<string, ClusterBudgetState>>;

/**
 * Where server slots come from. The in-process coordinator ({@link localSlotCoordinator}) counts
 * them in memory; `smt-rx/redis` counts them across processes. The broker only calls these
 * methods, so a coordinator plugs in without touching the operators or the manager.
 *
 * Contract:
 * - `tryAcquire` answers at once. A coordinator whose slots live elsewhere answers `false`, takes
 *   note that a slot on that budget is wanted, and emits `{ type: 'room' }` once it holds one for
 *   this process, so that the next `tryAcquire` succeeds.
 * - Every `true` from `tryAcquire(serverKey, weight)` is matched by exactly one
 *   `release(serverKey, weight)` with the same key and weight, even if the server's budget changed
 *   in between.
 * - A weight (a positive integer, 1 when absent) is how many slots of the budget one start takes
 *   at once: `inUse` counts weights, and a start of weight `w` needs `inUse + w <= limit`. A
 *   coordinator written before weights ignores the argument and counts every start as 1.
 * - Server keys are already normalised (see `normalizeServerKey`).
 */
export interface SlotCoordinator {
  /** The budget key a server draws on: the longest limit key covering it, else its own key. */
  budgetOf(serverKey: string): string;
  /**
   * A budget key as a user writes it (`https://API.example.com:443`) -> the key of that budget: a
   * limit key set under that spelling, else a server's own key. Optional (a start rate set on a key
   * is then put on its server-key spelling).
   */
  budgetKey?(written: string): string;
  /** The limit and the slots in use of a budget key. */
  budget(budgetKey: string): BudgetState;
  /** Takes `weight` slots (default 1) on the server's budget at once if it has room for all of them. */
  tryAcquire(serverKey: string, weight?: number): boolean;
  /** Gives back the slots taken by `tryAcquire(serverKey, weight)`. */
  release(serverKey: string, weight?: number): void;
  /** Sets the limit of a server key or URL prefix: an integer >= 0 or Infinity. */
  setLimit(keyOrPrefix: string, limit: number): void;
  /** Removes a limit: its servers go back to a shorter prefix's budget or the default. */
  removeLimit(keyOrPrefix: string): void;
  /** The limits set so far, by normalised key. */
  limits(): ReadonlyMap<string, number>;
  /**
   * True when `tryAcquire`/`release` count their `weight`. Weights above 1 are refused (a typed
   * error) on a coordinator without it, instead of being counted as 1.
   */
  readonly countsWeights?: boolean;
  /** Changes the broker reacts to. Hot; emits synchronously. */
  readonly changes$: Observable<SlotChange>;
  /**
   * Optional: the cost of one more attempt on a server. When present, a new item picks the server
   * with room whose cost is lowest, instead of the one with the lowest in-use / limit.
   */
  serverCost?(serverKey: string): number;
  /**
   * Optional: the budgets as every process sharing this coordinator sees them, read on the
   * coordinator's own cadence while subscribed; completes when the coordinator closes. A
   * coordinator whose slots live in one process has none (its `budget()` is already the whole view).
   */
  readonly clusterStats$?: Observable<ClusterStats>;
  /**
   * Optional: no pool lists this server any more. Drop what is kept for it (its count, its budget
   * when no other server draws on it) once it holds no slot; a later `tryAcquire` starts afresh.
   * The slot broker calls it when the last pool listing the server drops it.
   */
  forget?(serverKey: string): void;
  /** Gives back everything this process holds and stops. Idempotent. */
  close(): Promise<void>;
}
