import { randomUUID } from 'node:crypto';
import { normalizeLimitKey } from '../slots/serverKey.js';
import type { RedisContext } from './context.js';
import { budgetKeys, clusterKey, limitsKey, type BudgetKeys } from './keys.js';
import { decodeLimit, encodeLimit, settingMessage } from './wire.js';

/** A per-budget setting kept in Redis the way limits are: where it lives and how it is written. */
export interface SettingKind<V> {
  /** 'limit' or 'rate': the message type, and the word in reports. */
  readonly name: 'limit' | 'rate';
  readonly normalize: (keyOrPrefix: string) => string;
  /** The key the scripts read, in the budget's hash slot. */
  readonly enforced: (keys: BudgetKeys) => string;
  /** The hash listing every key's value. */
  readonly list: (prefix: string) => string;
  readonly encode: (value: V) => string;
  /** Undefined for a text that is not a valid value (skipped). */
  readonly decode: (text: unknown) => V | undefined;
}

export const LIMITS: SettingKind<number> = {
  name: 'limit',
  normalize: normalizeLimitKey,
  enforced: (keys) => keys.limit,
  list: limitsKey,
  encode: encodeLimit,
  decode: decodeLimit,
};

/**
 * The limits as Redis keeps them: `{prefix:key}:limit` is what the scripts enforce (it lives in the
 * budget's hash slot), the `prefix:limits` hash is the list every instance resolves budgets from,
 * and a message on the channel tells the others at once. Writes that fail (Redis down) are kept
 * and written again on recovery, so a limit set during an outage is not lost. Start rates are
 * kept the same way (another {@link SettingKind}).
 */
export class LimitStore<V = number> {
  readonly #ctx: RedisContext;
  readonly #kind: SettingKind<V>;
  // Values set here that Redis has not taken yet: key -> value, or undefined for a removal.
  readonly #unsynced = new Map<string, V | undefined>();
  // The cluster id seen last; a different one means Redis lost its data in between.
  #clusterId: string | null | undefined = undefined;

  constructor(ctx: RedisContext, kind: SettingKind<V>) {
    this.#ctx = ctx;
    this.#kind = kind;
  }

  /** Stores a limit (or removes it with `undefined`) and announces it. */
  async write(keyOrPrefix: string, limit: V | undefined): Promise<void> {
    const kind = this.#kind;
    const key = kind.normalize(keyOrPrefix);
    this.#unsynced.set(key, limit);
    const { client, prefix, channel, instanceName } = this.#ctx;
    const text = limit === undefined ? null : kind.encode(limit);
    const limitKey = kind.enforced(budgetKeys(prefix, key));
    try {
      // The enforced value first, then the list, then the news.
      if (text === null) await Promise.all([client.del(limitKey), client.hdel(kind.list(prefix), key)]);
      else await Promise.all([client.set(limitKey, text), client.hset(kind.list(prefix), key, text)]);
      await client.publish(channel, settingMessage(kind.name, key, text, instanceName));
      if (this.#unsynced.get(key) === limit) this.#unsynced.delete(key);
    } catch (error) {
      this.#ctx.report('command', `storing the ${kind.name} of ${key} in Redis failed; it is stored again when Redis answers`, error);
    }
  }

  /** Writes again what failed before. */
  async flush(): Promise<void> {
    await Promise.all([...this.#unsynced].map(([key, limit]) => this.write(key, limit)));
  }

  /** Writes every limit known here: used when Redis lost its data. */
  async restore(limits: ReadonlyMap<string, V>): Promise<void> {
    this.#unsynced.clear();
    await Promise.all([...limits].map(([key, limit]) => this.write(key, limit)));
  }

  /** The list hash; entries that are not valid values are skipped. */
  async read(): Promise<Map<string, V>> {
    const raw = await this.#ctx.client.hgetall(this.#kind.list(this.#ctx.prefix));
    const limits = new Map<string, V>();
    for (const [key, text] of Object.entries(raw)) {
      const limit = this.#kind.decode(text);
      if (limit !== undefined) limits.set(key, limit);
    }
    return limits;
  }

  /** Marks this Redis as known; true when it lost its data since the last call. */
  async checkCluster(): Promise<boolean> {
    const { client, prefix } = this.#ctx;
    await client.set(clusterKey(prefix), randomUUID(), 'NX');
    const id = await client.get(clusterKey(prefix));
    const lost = this.#clusterId !== undefined && id !== this.#clusterId;
    this.#clusterId = id;
    return lost;
  }
}
