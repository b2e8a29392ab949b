import type { Redis } from 'ioredis';
import { describeAddress, describeCause, runScript } from './client.js';
import { keysOf, type RedisContext } from './context.js';
import type { BudgetKeys } from './keys.js';
import { FENCE } from './scripts.js';

export interface RecoverySteps {
  /** Lists this process's running slots again (sent first on the connection). */
  readonly renewNow: () => void;
  /** Every budget this process knows: its limit keys, the budgets its servers draw on, its leases. */
  readonly knownBudgets: () => Iterable<string>;
  /** Once fenced where needed: read the limits again and let waiting work ask. */
  readonly resume: () => void;
}

/**
 * What a process does when Redis answers again. Leases may have lapsed while nobody could renew
 * them (an outage longer than a third of a lease), or the server answering may have lost the
 * newest writes (another server: a restart, a Sentinel failover; replication is asynchronous).
 * Either way a slot could be granted before its holder lists it again, so the process fences
 * every budget it knows for one lease before anything is granted: the holders, which reconnect
 * too, list their running slots meanwhile. A short blip costs nothing.
 */
export class Recovery {
  readonly #ctx: RedisContext;
  readonly #steps: RecoverySteps;
  readonly #keys = new Map<string, BudgetKeys>();
  #downSince: number | undefined = undefined;
  #serverId: string | undefined = undefined;
  #recovering = false;
  #generation = 0;

  constructor(ctx: RedisContext, steps: RecoverySteps) {
    this.#ctx = ctx;
    this.#steps = steps;
  }

  /** False between a reconnection and the fence: nothing may be asked for before it. */
  get settled(): boolean {
    return !this.#recovering;
  }

  get generation(): number {
    return this.#generation;
  }

  /** At start: remembers which server answers. */
  async identify(): Promise<void> {
    this.#serverId = await this.#readServerId();
  }

  /** The connection dropped: nothing is granted until it is back (and fenced where needed). */
  down(cause: unknown): void {
    this.#downSince ??= this.#ctx.scheduler.now();
    this.#recovering = true;
    this.#generation++;
    const where = describeAddress(this.#ctx.client);
    this.#ctx.report('connection', `${where} is unreachable (${describeCause(cause)}): no slot is granted until it answers again; running tasks carry on`, cause);
  }

  async up(): Promise<void> {
    this.#recovering = true;
    const downFor = this.#downSince === undefined ? 0 : this.#ctx.scheduler.now() - this.#downSince;
    this.#downSince = undefined;
    this.#steps.renewNow();
    const reason = await this.#fenceReason(downFor);
    if (reason !== undefined) {
      this.#ctx.log('warn', `${reason}: no slot is granted on the budgets known here for ${this.#ctx.leaseMs} ms (leaseMs) while running slots are listed again`);
      for (const budget of new Set(this.#steps.knownBudgets())) this.#fence(budget);
    }
    this.#recovering = false;
    this.#steps.resume();
  }

  async #fenceReason(downFor: number): Promise<string | undefined> {
    const before = this.#serverId;
    try {
      this.#serverId = await this.#readServerId();
    } catch {
      return 'the server answering could not be identified';
    }
    if (before !== this.#serverId) return 'another Redis server answers now (a restart or a failover; the newest writes may be lost)';
    if (downFor > this.#ctx.leaseMs / 3) return `Redis was unreachable for ${Math.round(downFor)} ms, long enough for leases to lapse`;
    return undefined;
  }

  /** A budget no pool draws on any more: its key memo goes. */
  forgetBudget(budget: string): void {
    this.#keys.delete(budget);
  }

  /** How many budgets it keeps a key memo for. @internal */
  tracked(): number {
    return this.#keys.size;
  }

  #fence(budget: string): void {
    const keys = keysOf(this.#ctx, this.#keys, budget);
    runScript(this.#ctx.client, FENCE, [keys.epoch], [this.#ctx.leaseMs]).catch((error: unknown) =>
      this.#ctx.report('command', `fencing ${budget} after the outage failed`, error),
    );
  }

  // A Redis Cluster has one per node; its nodes' changes are not followed (see the README).
  async #readServerId(): Promise<string | undefined> {
    if (this.#ctx.client.isCluster) return undefined;
    const info = await (this.#ctx.client as Redis).info('server');
    return /run_id:(\w+)/.exec(info)?.[1];
  }
}
