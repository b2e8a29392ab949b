import type { BudgetKeys } from './keys.js';
import type { LeaseBook } from './leaseBook.js';
import type { LimitCache } from './limitCache.js';

/** A part that memoises something per budget (`withdraw`: its Redis queue place may be given up too). */
export interface BudgetMemo {
  forgetBudget(budget: string, withdraw: boolean): void;
  /** How many budgets it keeps something for (for tests). */
  tracked(): number;
}

/** What forgetting a server touches in a Redis coordinator (besides the key memo). */
export interface ForgettingParts {
  readonly cache: LimitCache;
  readonly book: LeaseBook;
  readonly memos: readonly BudgetMemo[];
}

/** The coordinator's `forget`, with its budget key memo, and what is kept per key (for tests). @internal */
export type Forget = ((serverKey: string) => void) & { readonly keys: Map<string, BudgetKeys>; tracked(): number };

/**
 * The coordinator's `forget` and the budget key memo it empties, built on first use (the parts
 * exist once the constructor ran): so a process whose pools churn for weeks keeps nothing per
 * server it ever saw.
 */
export function forgetting(parts: () => ForgettingParts): Forget {
  const keys = new Map<string, BudgetKeys>();
  let forgetter: ServerForgetting | undefined;
  const made = (): ServerForgetting => (forgetter ??= new ServerForgetting({ ...parts(), keys }));
  return Object.assign((serverKey: string) => made().forget(serverKey), { keys, tracked: () => made().tracked() });
}

/**
 * Forgets servers no pool lists any more: the limit memos, and for a budget of the server's own,
 * the key memos and the acquirer's state. A server forgotten while it holds a lease is finished at
 * its last release (renewals and the release itself need the budget's keys until then).
 * @internal
 */
export class ServerForgetting {
  // Forgotten while holding leases: finished when the book holds none of theirs.
  readonly #pending = new Set<string>();

  constructor(readonly parts: ForgettingParts & { readonly keys: Map<string, BudgetKeys> }) {
    parts.book.onEmptied = (serverKey) => this.#released(serverKey);
  }

  forget(serverKey: string): void {
    if (this.parts.book.holds(serverKey)) this.#pending.add(serverKey);
    else this.#finish(serverKey, true);
  }

  tracked(): number {
    const { cache, keys, memos } = this.parts;
    return this.#pending.size + cache.memoized() + keys.size + memos.reduce((sum, memo) => sum + memo.tracked(), 0);
  }

  // The last lease of a server came back. A queue place in Redis is kept then: the server may have
  // been listed again meanwhile (a place nobody here wants is left at the next probe).
  #released(serverKey: string): void {
    if (this.#pending.delete(serverKey)) this.#finish(serverKey, false);
  }

  #finish(serverKey: string, withdraw: boolean): void {
    const { cache, book, keys, memos } = this.parts;
    const budget = cache.budgetOf(serverKey);
    cache.forget(serverKey);
    // A limit key's budget may be shared by listed servers (and limit keys are few): it stays.
    if (budget !== serverKey || cache.entries().has(budget) || book.count(budget) > 0) return;
    keys.delete(budget);
    for (const memo of memos) memo.forgetBudget(budget, withdraw);
  }
}
