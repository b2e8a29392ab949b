/** Slots this process holds: its lease id in Redis, the budget whose zset lists it, its weight. */
export interface HeldLease {
  readonly id: string;
  budget: string;
  readonly weight: number;
}

/** A lease whose server now draws on another budget. */
export interface MovedLease {
  readonly id: string;
  readonly from: string;
  readonly to: string;
}

/**
 * The leases this process holds, by server key (a release names the server, not the lease) and
 * counted by budget (what `budget().inUse` reports and what renewals batch over).
 */
export class LeaseBook {
  readonly #byServer = new Map<string, HeldLease[]>();
  readonly #countByBudget = new Map<string, number>();
  /** Told when a server's last lease came out (a forgotten server is finished then). */
  onEmptied: ((serverKey: string) => void) | undefined = undefined;

  hold(serverKey: string, lease: HeldLease): void {
    let leases = this.#byServer.get(serverKey);
    if (leases === undefined) this.#byServer.set(serverKey, (leases = []));
    leases.push(lease);
    this.#count(lease.budget, lease.weight);
  }

  /** Takes a lease of this weight out, or undefined when the server holds none (an unmatched release). */
  take(serverKey: string, weight: number): HeldLease | undefined {
    const leases = this.#byServer.get(serverKey);
    let at = (leases?.length ?? 0) - 1;
    while (at >= 0 && leases?.[at]?.weight !== weight) at--;
    const lease = at < 0 ? undefined : leases?.splice(at, 1)[0];
    if (lease === undefined) return undefined;
    this.#count(lease.budget, -lease.weight);
    if (leases?.length === 0) {
      this.#byServer.delete(serverKey);
      this.onEmptied?.(serverKey);
    }
    return lease;
  }

  /** Whether a server holds a lease here. */
  holds(serverKey: string): boolean {
    return this.#byServer.has(serverKey);
  }

  count(budget: string): number {
    return this.#countByBudget.get(budget) ?? 0;
  }

  /** Lease ids grouped by the budget that lists them. */
  idsByBudget(): Map<string, string[]> {
    const ids = new Map<string, string[]>();
    for (const leases of this.#byServer.values()) {
      for (const lease of leases) {
        let list = ids.get(lease.budget);
        if (list === undefined) ids.set(lease.budget, (list = []));
        list.push(lease.id);
      }
    }
    return ids;
  }

  /** Re-files every lease under its server's current budget; returns the ones that moved. */
  rebudget(budgetOf: (serverKey: string) => string): MovedLease[] {
    const moved: MovedLease[] = [];
    for (const [serverKey, leases] of this.#byServer) {
      const to = budgetOf(serverKey);
      for (const lease of leases) {
        if (lease.budget === to) continue;
        moved.push({ id: lease.id, from: lease.budget, to });
        this.#count(lease.budget, -lease.weight);
        this.#count(to, lease.weight);
        lease.budget = to;
      }
    }
    return moved;
  }

  /** Empties the book and returns what it held. */
  clear(): HeldLease[] {
    const all = [...this.#byServer.values()].flat();
    this.#byServer.clear();
    this.#countByBudget.clear();
    return all;
  }

  #count(budget: string, delta: number): void {
    const next = (this.#countByBudget.get(budget) ?? 0) + delta;
    if (next === 0) this.#countByBudget.delete(budget);
    else this.#countByBudget.set(budget, next);
  }
}
