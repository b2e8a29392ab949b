import { randomUUID } from 'node:crypto';
import { timer } from 'rxjs';
import { BudgetDemand } from './budgetDemand.js';
import { runScript } from './client.js';
import { keysOf, type RedisContext } from './context.js';
import { leaseIdOf, weightOfLease } from './leaseId.js';
import { budgetKeys, type BudgetKeys } from './keys.js';
import { pollDelay, pollPolicy, type PollPolicy } from './pollDelay.js';
import { ACQUIRE, RELEASE, WITHDRAW } from './scripts.js';

export interface AcquirerHooks {
  /** Tells the broker a budget may have room: it calls tryAcquire at once if items wait for it. */
  readonly room: (budget: string) => void;
  /** Every budget some server draws on now. */
  readonly budgets: () => Iterable<string>;
}

/**
 * Turns the broker's synchronous `tryAcquire` into Redis round trips. A `false` from tryAcquire
 * lands in `want`: one acquire script call per budget at a time. A granted lease is offered at
 * once (a `room` change, during which the broker's tryAcquire takes it); a lease nobody takes
 * during the offer goes straight back. A refusal leaves this instance in the budget's queue in
 * Redis until a wake-up names it (pub/sub, sent by whoever frees a slot) or, as a safety net, a
 * jittered poll fires. Both "probe" the broker: if it still wants the budget it asks again,
 * otherwise this instance leaves the queue so the next waiter is served.
 */
export class SlotAcquirer {
  readonly #ctx: RedisContext;
  readonly #hooks: AcquirerHooks;
  readonly #policy: PollPolicy;
  readonly #keys = new Map<string, BudgetKeys>();
  readonly #demands = new Map<string, BudgetDemand>();
  // Lease ids: the instance name, this process's random tag and a counter; unique cluster-wide.
  readonly #leasePrefix: string;
  #leaseSeq = 0;
  #closed = false;

  constructor(ctx: RedisContext, hooks: AcquirerHooks) {
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#policy = pollPolicy(ctx.leaseMs);
    this.#leasePrefix = `${ctx.instanceName}:${randomUUID().slice(0, 8)}:`;
  }

  /** A granted lease of this weight being offered for this budget, if any. */
  takeSpare(budget: string, weight: number): string | undefined {
    const spare = this.#demands.get(budget)?.spare;
    const at = spare?.findIndex((id) => weightOfLease(id) === weight) ?? -1;
    return at < 0 ? undefined : spare?.splice(at, 1)[0];
  }

  /**
   * tryAcquire found no lease: ask Redis for one, unless a request is on its way or this instance
   * is queued already (then the release that makes room for it names it in a wake-up, and asking
   * again now would only be refused).
   */
  want(budget: string, weight: number): void {
    if (this.#closed) return;
    const demand = this.#demand(budget);
    demand.demanded = true;
    demand.weight = weight;
    demand.forgotten = false; // listed again
    // Queued for another weight: Redis must know the new one, or it wakes this instance wrongly.
    if (demand.waiting && !demand.probing && demand.askedWeight === weight) return;
    if (demand.inFlight || !this.#ctx.canAsk()) return; // recovery probes every budget
    this.#acquire(budget, demand);
  }

  /** Gives a lease back in Redis, which wakes the next waiters. */
  release(budget: string, leaseId: string): Promise<void> {
    // Not memoised: the last release of a forgotten server must not bring its keys back.
    const keys = this.#keys.get(budget) ?? budgetKeys(this.#ctx.prefix, budget);
    const { defaultLimitText, channel } = this.#ctx;
    return runScript(this.#ctx.client, RELEASE, [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.waiterWeights], [budget, leaseId, defaultLimitText, channel]).then(
      () => undefined,
      // Not fatal: the lease is no longer renewed, so it lapses within leaseMs.
      (error: unknown) => this.#ctx.report('command', `releasing a slot on ${budget} failed; it frees within leaseMs`, error),
    );
  }

  /** A wake-up from pub/sub: a slot freed on `budget` and `to` are first in line. */
  wake(budget: string, to: readonly string[]): void {
    if (this.#closed || !to.includes(this.#ctx.instanceName)) return;
    const demand = this.#demand(budget);
    if (demand.inFlight) {
      demand.woken = true;
      return;
    }
    if (demand.waiting) this.probe(budget);
    // Redis queues this instance although nothing here waits (a withdrawal failed): step aside.
    else void this.#withdraw(budget, demand);
  }

  /**
   * Redis refused this budget by its start rate and named a moment that has not come: the broker
   * should take another server of the pool first (it hears `room` when the moment comes).
   */
  rateBlocked(budget: string): boolean {
    const demand = this.#demands.get(budget);
    return demand !== undefined && this.#ctx.scheduler.now() < demand.rateOpensAt;
  }

  /** Asks the broker whether it still wants the budget; leaves the queue if not. */
  probe(budget: string): void {
    if (this.#closed) return;
    const demand = this.#demand(budget);
    demand.demanded = false;
    demand.rateOpensAt = -Infinity; // a changed rate or a freed slot: Redis answers afresh
    demand.probing = true; // until the next acquire or withdrawal: the broker may answer late
    this.#hooks.room(budget);
    if (!demand.demanded && !demand.inFlight && demand.waiting) void this.#withdraw(budget, demand);
    if (demand.forgotten && !demand.demanded) this.forgetBudget(budget);
  }

  /** After an outage or a regained name: every budget may have room and waiting items. */
  probeAll(): void {
    for (const budget of new Set([...this.#hooks.budgets(), ...this.#demands.keys()])) this.probe(budget);
  }

  /**
   * A budget no pool draws on any more: its state and key memo go, and (with `withdraw`) a place
   * in its Redis queue is given up. A call on its way keeps the state until its answer (a lease it
   * brings back is offered, not taken, and goes straight back); a queued one without `withdraw`
   * keeps it until its next probe finds nobody wants it.
   */
  forgetBudget(budget: string, withdraw = true): void {
    const demand = this.#demands.get(budget);
    if (demand !== undefined) {
      if (demand.inFlight || demand.spare.length > 0 || (demand.waiting && !withdraw)) {
        demand.forgotten = true;
        return;
      }
      if (demand.waiting) void this.#withdraw(budget, demand); // takes the keys before they go
      demand.cancelPoll();
      this.#demands.delete(budget);
    }
    this.#keys.delete(budget);
  }

  /** How many budgets have state or a key memo here. @internal */
  tracked(): number {
    return this.#demands.size + this.#keys.size;
  }

  /** Stops asking and leaves every queue. Leases are released by the caller. */
  async close(): Promise<void> {
    this.#closed = true;
    const withdrawals: Promise<void>[] = [];
    for (const [budget, demand] of this.#demands) {
      demand.cancelPoll();
      if (demand.waiting) withdrawals.push(this.#withdraw(budget, demand));
    }
    await Promise.all(withdrawals);
  }

  #acquire(budget: string, demand: BudgetDemand): void {
    demand.inFlight = true;
    demand.woken = false;
    demand.probing = false;
    demand.askedWeight = demand.weight;
    const leaseId = leaseIdOf(`${this.#leasePrefix}${this.#leaseSeq++}`, demand.weight);
    const keys = this.#keysOf(budget);
    const { instanceName, leaseMs, defaultLimitText, channel } = this.#ctx;
    const generation = this.#ctx.generation();
    runScript(
      this.#ctx.client,
      ACQUIRE,
      [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.epoch, keys.rate, keys.starts, keys.lastStart, keys.waiterWeights],
      [budget, instanceName, leaseId, leaseMs, defaultLimitText, channel, demand.seen ? '1' : '0'],
    ).then(
      (reply) => (generation === this.#ctx.generation() ? this.#answered(budget, demand, leaseId, reply) : this.#answeredAcrossDrop(budget, demand, leaseId, reply)),
      (error: unknown) => this.#failed(budget, demand, error),
    );
  }

  #answered(budget: string, demand: BudgetDemand, leaseId: string, reply: unknown): void {
    demand.inFlight = false;
    demand.seen = true;
    const [granted, , retryInMs, byRate] = Array.isArray(reply) ? (reply as number[]) : [0, 0, 0, 0];
    const hintMs = typeof retryInMs === 'number' ? retryInMs : 0;
    demand.rateOpensAt = granted !== 1 && byRate === 1 ? this.#ctx.scheduler.now() + hintMs : -Infinity;
    if (granted === 1) {
      if (this.#closed) {
        void this.release(budget, leaseId);
        return;
      }
      demand.waiting = false;
      demand.cancelPoll();
      this.#offer(budget, demand, leaseId);
      if (demand.forgotten) this.forgetBudget(budget);
      return;
    }
    demand.waiting = true;
    if (this.#closed) {
      void this.#withdraw(budget, demand);
      return;
    }
    if (demand.forgotten) {
      this.forgetBudget(budget); // leaves the queue, drops the state
      return;
    }
    // Refused by the start rate alone: Redis said when this place in the queue may start.
    if (byRate === 1) this.#armTimer(budget, demand, hintMs);
    else this.#armPoll(budget, demand, hintMs);
    this.#inviteOthers(budget);
    if (demand.woken) {
      // A slot freed for us while the refusal was on its way back.
      demand.woken = false;
      this.probe(budget);
    }
  }

  // The client re-sent the request after a reconnect, possibly before this process's fence: a
  // grant is given back unused. Either way the budget is asked for again once recovery is done:
  // by recovery itself (it probes every budget), or here if it already has.
  #answeredAcrossDrop(budget: string, demand: BudgetDemand, leaseId: string, reply: unknown): void {
    demand.inFlight = false;
    demand.waiting = true;
    if (Array.isArray(reply) && reply[0] === 1) void this.release(budget, leaseId);
    if (this.#ctx.canAsk()) this.probe(budget);
  }

  #failed(budget: string, demand: BudgetDemand, error: unknown): void {
    demand.inFlight = false;
    if (this.#closed || !this.#ctx.canAsk()) return; // the outage is reported once; recovery probes
    this.#ctx.report('command', `asking Redis for a slot on ${budget} failed; asking again shortly`, error);
    this.#armPoll(budget, demand, 0);
  }

  #offer(budget: string, demand: BudgetDemand, leaseId: string): void {
    demand.spare.push(leaseId);
    this.#hooks.room(budget);
    // Nothing took it during the emission, so nothing here wants this budget now.
    for (let id = demand.spare.pop(); id !== undefined; id = demand.spare.pop()) void this.release(budget, id);
  }

  // This budget is full, but the waiting items may also run on servers of other budgets: let the
  // broker ask for those too. A budget already queued or asking is skipped, so this settles.
  #inviteOthers(budget: string): void {
    for (const other of this.#hooks.budgets()) {
      if (other === budget) continue;
      const demand = this.#demands.get(other);
      if (demand !== undefined && (demand.waiting || demand.inFlight)) continue;
      this.#hooks.room(other);
    }
  }

  #armPoll(budget: string, demand: BudgetDemand, hintMs: number): void {
    this.#armTimer(budget, demand, pollDelay(demand.pollRound, hintMs, this.#policy, this.#ctx.random));
  }

  /** The one timer of a budget: the earliest of the asked-for moments probes it. */
  #armTimer(budget: string, demand: BudgetDemand, delay: number): void {
    const scheduler = this.#ctx.scheduler;
    const due = scheduler.now() + delay;
    if (demand.poll !== undefined && demand.pollDue <= due) return;
    demand.cancelPoll();
    demand.pollDue = due;
    demand.poll = timer(delay, scheduler).subscribe(() => {
      demand.poll = undefined;
      demand.pollDue = Infinity;
      demand.pollRound++;
      this.probe(budget);
    });
  }

  #withdraw(budget: string, demand: BudgetDemand): Promise<void> {
    demand.waiting = false;
    demand.probing = false;
    demand.pollRound = 0;
    demand.cancelPoll();
    const keys = this.#keysOf(budget);
    const { instanceName, defaultLimitText, channel } = this.#ctx;
    return runScript(this.#ctx.client, WITHDRAW, [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.waiterWeights], [budget, instanceName, defaultLimitText, channel]).then(
      () => undefined,
      // Not fatal: the place in the queue lapses within leaseMs.
      (error: unknown) => this.#ctx.report('command', `leaving the queue of ${budget} failed; the place lapses within leaseMs`, error),
    );
  }

  #demand(budget: string): BudgetDemand {
    let demand = this.#demands.get(budget);
    if (demand === undefined) this.#demands.set(budget, (demand = new BudgetDemand()));
    return demand;
  }

  #keysOf(budget: string): BudgetKeys {
    return keysOf(this.#ctx, this.#keys, budget);
  }
}
