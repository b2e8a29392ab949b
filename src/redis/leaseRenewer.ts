import { interval, type Subscription } from 'rxjs';
import { runScript } from './client.js';
import { keysOf, type RedisContext } from './context.js';
import type { BudgetKeys } from './keys.js';
import type { ClaimState, InstanceClaim } from './instanceClaim.js';
import type { LeaseBook } from './leaseBook.js';
import { RENEW } from './scripts.js';

// Ids per script call: keeps one call short for Redis, which runs scripts one at a time.
const CHUNK = 500;

export interface RenewalHandlers {
  /** Leases of `budget` had lapsed and were added back. */
  readonly onLapsed: (budget: string, count: number) => void;
  readonly onClaim: (state: ClaimState) => void;
  /** Runs after each renewal round is sent (the coordinator checks for data loss there). */
  readonly onRenewed: () => void;
}

/**
 * Keeps this process's leases and instance name alive: every third of a lease, one script call
 * per budget renews all its leases at once (and puts back any that lapsed), plus one for the name.
 * Nothing is sent while Redis is unreachable, so an outage does not pile up renewals; recovery
 * calls `renewNow` first thing.
 */
export class LeaseRenewer {
  readonly #ctx: RedisContext;
  readonly #book: LeaseBook;
  readonly #claim: InstanceClaim;
  readonly #handlers: RenewalHandlers;
  readonly #keys = new Map<string, BudgetKeys>();
  #ticks: Subscription | undefined = undefined;

  constructor(ctx: RedisContext, book: LeaseBook, claim: InstanceClaim, handlers: RenewalHandlers) {
    this.#ctx = ctx;
    this.#book = book;
    this.#claim = claim;
    this.#handlers = handlers;
  }

  start(): void {
    this.#ticks ??= interval(Math.floor(this.#ctx.leaseMs / 3), this.#ctx.scheduler).subscribe(() => this.renewNow());
  }

  stop(): void {
    this.#ticks?.unsubscribe();
    this.#ticks = undefined;
  }

  renewNow(): void {
    // Also while the name is lost (canAsk() is false): renewing is how it is claimed back.
    if (this.#ctx.client.status !== 'ready') return;
    this.#claim.renew().then(
      (state) => this.#handlers.onClaim(state),
      (error: unknown) => this.#ctx.report('command', 'renewing the instance name failed', error),
    );
    for (const [budget, ids] of this.#book.idsByBudget()) {
      for (let i = 0; i < ids.length; i += CHUNK) this.#renew(budget, ids.slice(i, i + CHUNK), '1');
    }
    this.#handlers.onRenewed();
  }

  /** A budget no pool draws on any more: its key memo goes. */
  forgetBudget(budget: string): void {
    this.#keys.delete(budget);
  }

  /** How many budgets it keeps a key memo for. @internal */
  tracked(): number {
    return this.#keys.size;
  }

  /** Lists a lease on another budget (its server moved there after a limit change). */
  adopt(budget: string, id: string): void {
    this.#renew(budget, [id], '0');
  }

  #renew(budget: string, ids: readonly string[], fence: '0' | '1'): void {
    const keys = keysOf(this.#ctx, this.#keys, budget);
    runScript(this.#ctx.client, RENEW, [keys.leases, keys.epoch], [this.#ctx.leaseMs, fence, ...ids]).then(
      (lapsed) => {
        if (typeof lapsed === 'number' && lapsed > 0 && fence === '1') this.#handlers.onLapsed(budget, lapsed);
      },
      (error: unknown) => this.#ctx.report('command', `renewing the leases on ${budget} failed`, error),
    );
  }
}
