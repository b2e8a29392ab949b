import type { Timeline, TimelineEntry, TimelineTarget } from '../../internal/timeline.js';
import { type ResolvedHealthOptions, ServerHealth, type HealthVerdict } from '../health/serverHealth.js';

/** What the health checks need from their surroundings. @internal */
export interface HealthHost {
  readonly timeline: Timeline;
  /** The budget keys of each pool that draws on `budget`. */
  poolsOf(budget: string): Iterable<readonly string[]>;
  ejected(budget: string, verdict: HealthVerdict & { type: 'eject' }, until: number): void;
  restored(budget: string): void;
  /** The budget may take work again (a probe, or restored): tell the broker. */
  room(budget: string): void;
}

/**
 * The health of every budget, with the timers that end ejections. A pool never has more than
 * `maxEjectedShare` of its budgets out at once (ejected or half-open), so it keeps at least one.
 * @internal
 */
export class BudgetHealth implements TimelineTarget {
  readonly #byBudget = new Map<string, ServerHealth>();
  readonly #timers = new Map<string, TimelineEntry>();
  // Timeline entries carry a number: the budget each booked timer is for (numbers of forgotten budgets are reused).
  readonly #budgetOfTimer: (string | undefined)[] = [];
  readonly #timerKinds = new Map<string, number>();
  readonly #freeKinds: number[] = [];

  constructor(
    readonly options: ResolvedHealthOptions,
    readonly host: HealthHost,
  ) {}

  of(budget: string): ServerHealth | undefined {
    return this.#byBudget.get(budget);
  }

  canStart(budget: string): boolean {
    return this.#byBudget.get(budget)?.canStart ?? true;
  }

  started(budget: string, at: number): void {
    this.#byBudget.get(budget)?.started(at);
  }

  result(budget: string, ok: boolean, startedAt: number): void {
    let health = this.#byBudget.get(budget);
    if (health === undefined) {
      if (ok) return; // healthy budgets need no state until their first failure
      health = new ServerHealth(this.options);
      this.#byBudget.set(budget, health);
    }
    const verdict = health.result(ok, startedAt);
    if (verdict === undefined) return;
    if (verdict.type === 'restore') {
      this.host.restored(budget);
      this.host.room(budget);
      return;
    }
    if (verdict.reason === 'failures' && !this.#canSpare(budget)) return;
    const now = this.host.timeline.now();
    const until = health.eject(now, verdict.ejectMs);
    this.#timers.set(budget, this.host.timeline.after(verdict.ejectMs, this, this.#timerKind(budget), now));
    this.host.ejected(budget, verdict, until);
  }

  /** The attempt ended without a result (cancelled before its handler ran): it was no probe. */
  lost(budget: string, startedAt: number): void {
    const health = this.#byBudget.get(budget);
    if (health === undefined || health.canStart) return;
    health.probeLost(startedAt);
    if (health.canStart) this.host.room(budget);
  }

  onTime(entry: TimelineEntry): void {
    const budget = this.#budgetOfTimer[entry.kind];
    if (budget === undefined) return; // forgotten (its timer was cancelled)
    this.#timers.delete(budget);
    this.#byBudget.get(budget)?.reopen();
    this.host.room(budget);
  }

  /**
   * No pool lists the budget any more: its record and timer go. An ejected or half-open one stays:
   * a server listed again before its ejection ended must not take work.
   */
  forget(budget: string): void {
    if (!(this.#byBudget.get(budget)?.healthy ?? true)) return;
    this.#byBudget.delete(budget);
    const timer = this.#timers.get(budget);
    if (timer !== undefined) this.host.timeline.cancel(timer);
    this.#timers.delete(budget);
    const kind = this.#timerKinds.get(budget);
    if (kind === undefined) return;
    this.#timerKinds.delete(budget);
    this.#budgetOfTimer[kind] = undefined;
    this.#freeKinds.push(kind);
  }

  /** How many budgets have a record, a timer or a timer number. @internal */
  size(): number {
    return this.#byBudget.size + this.#timers.size + this.#timerKinds.size;
  }

  /** Stops the timers (the manager stopped). */
  dispose(): void {
    for (const entry of this.#timers.values()) this.host.timeline.cancel(entry);
    this.#timers.clear();
  }

  #canSpare(budget: string): boolean {
    for (const pool of this.host.poolsOf(budget)) {
      const budgets = new Set(pool);
      let out = 0;
      for (const b of budgets) if (!(this.#byBudget.get(b)?.healthy ?? true)) out++;
      if (out + 1 > Math.floor(this.options.maxEjectedShare * budgets.size)) return false;
    }
    return true;
  }

  #timerKind(budget: string): number {
    let kind = this.#timerKinds.get(budget);
    if (kind === undefined) {
      kind = this.#freeKinds.pop() ?? this.#budgetOfTimer.length;
      this.#budgetOfTimer[kind] = budget;
      this.#timerKinds.set(budget, kind);
    }
    return kind;
  }
}
