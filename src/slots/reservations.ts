import type { BrokerMember } from './brokerMember.js';

/**
 * Budgets held for a heavy head. When the best waiting item of a budget needs more slots than are
 * free there, the budget is held for it: no other item starts on that budget until it starts,
 * stops being its queue's head (cancelled, moved, overtaken by a better item), or the budget is
 * ranked afresh (a release, a limit change). So a heavy task cannot starve behind a stream of light
 * ones, and priority and FIFO still decide who is best.
 * @internal
 */
export class Reservations<T> {
  readonly #holders = new Map<string, BrokerMember<T>>();

  /** `rank(budget)`: the broker ranks a budget's waiting items again (its fill job). */
  constructor(readonly rank: (budget: string) => void) {}

  get size(): number {
    return this.#holders.size;
  }

  has(budget: string): boolean {
    return this.#holders.has(budget);
  }

  hold(budget: string, member: BrokerMember<T>): void {
    this.#holders.set(budget, member);
    member.weighed = true;
  }

  /** The budget is ranked afresh: whoever held it competes again. */
  free(budget: string): void {
    this.#holders.delete(budget);
  }

  /**
   * The member's head changed or it left, after its head was held back for its weight: the budgets
   * held for it are free, and every budget of its pool is ranked afresh (a budget that passed the
   * heavy head over may have room for the next one). `budgets`: those of a pool it just left.
   */
  headChanged(member: BrokerMember<T>, budgets: Iterable<string> = member.shares.keys()): void {
    member.weighed = false;
    for (const [budget, holder] of this.#holders) if (holder === member) this.#holders.delete(budget);
    for (const budget of budgets) this.rank(budget);
  }

  /**
   * The member's head could not start at once: rank the budgets held for others (its head may
   * outrank theirs), or with `all` (a heavy head) every budget of its pool, where it may be the best.
   */
  rankBudgetsOf(member: BrokerMember<T>, all: boolean): void {
    for (const budget of member.shares.keys()) if (all || this.#holders.has(budget)) this.rank(budget);
  }

  clear(): void {
    this.#holders.clear();
  }
}
