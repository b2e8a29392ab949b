import { check, expectNonEmptyString } from '../errors/checks.js';
import { checkRate, type RateLimit } from '../slots/rateLimitedCoordinator.js';
import { runScript } from './client.js';
import { keysOf, type RedisContext } from './context.js';
import type { BudgetKeys } from './keys.js';
import { ratesKey } from './keys.js';
import { SettingSync, type SettingCache } from './limitSync.js';
import type { SettingKind } from './limitStore.js';
import { decodeRate, encodeRate } from './rateScript.js';
import { MAX_LIMIT_KEY } from './options.js';
import { FENCE } from './scripts.js';

export type { RateLimit };
type Rate = Required<RateLimit>;

/** This process's copy of the start rates; a change answers the budget keys whose rate moved. */
class RateCache implements SettingCache<Rate, string[]> {
  readonly #rates = new Map<string, Rate>();

  constructor(readonly normalize: (keyOrPrefix: string) => string) {}

  set(keyOrPrefix: string, rate: Rate): string[] {
    const key = this.normalize(keyOrPrefix);
    const before = this.#rates.get(key);
    if (before !== undefined && encodeRate(before) === encodeRate(rate)) return [];
    this.#rates.set(key, rate);
    return [key];
  }

  remove(keyOrPrefix: string): string[] {
    const key = this.normalize(keyOrPrefix);
    return this.#rates.delete(key) ? [key] : [];
  }

  replace(rates: ReadonlyMap<string, Rate>): string[] {
    const moved = [...this.#rates.keys()].filter((key) => !rates.has(key)).flatMap((key) => this.remove(key));
    for (const [key, rate] of rates) moved.push(...this.set(key, rate));
    return moved;
  }

  entries(): ReadonlyMap<string, Rate> {
    return this.#rates;
  }
}

export type RateSync = SettingSync<Rate, string[], RateCache>;

/** The arguments of `setRate`, checked: a bad one throws an InvalidOptionError naming it. */
export function checkedRate(keyOrPrefix: string, rate: RateLimit | undefined): Rate | undefined {
  check('keyOrPrefix', keyOrPrefix, (v) => expectNonEmptyString(v, MAX_LIMIT_KEY));
  return rate === undefined ? undefined : checkRate(rate, 'rate');
}

/**
 * Cluster-wide start rates: stored and announced like limits (`{prefix:budget}:rate`, the
 * `prefix:rates` hash, a `rate` message), enforced by the acquire script (rateScript.ts). A change
 * made anywhere reaches every process, which asks again for the budgets it waits on (`probe`): a
 * looser rate lets them start at once, a tighter one gives them a later moment.
 *
 * Redis lost its data (a restart without persistence, FLUSHALL): the log of recent starts is
 * gone, so the process that writes the rates back also fences each rated budget for
 * max(leaseMs, intervalMs): by then every start the lost log held has left the window.
 */
export function rateSync(ctx: RedisContext, budgetKey: (written: string) => string, probe: (budget: string) => void): RateSync {
  const kind: SettingKind<Rate> = {
    name: 'rate',
    normalize: budgetKey,
    enforced: (keys) => keys.rate,
    list: ratesKey,
    encode: encodeRate,
    decode: decodeRate,
  };
  const fenceKeys = new Map<string, BudgetKeys>();
  const fence = (budget: string, rate: Rate): void => {
    const ms = Math.max(ctx.leaseMs, Math.ceil(rate.intervalMs));
    runScript(ctx.client, FENCE, [keysOf(ctx, fenceKeys, budget).epoch], [ms]).catch((error: unknown) =>
      ctx.report('command', `fencing ${budget} for its start rate after Redis lost its data failed`, error),
    );
  };
  return new SettingSync(
    ctx,
    new RateCache(budgetKey),
    kind,
    (moved) => moved.forEach(probe),
    (rates) => rates.forEach((rate, budget) => fence(budget, rate)),
  );
}
