import { randomUUID } from 'node:crypto';
import { normalizeLimitKey } from '../slots/serverKey.js';
import type { RedisContext } from './context.js';
import { budgetKeys, clusterKey, limitsKey } from './keys.js';
import { decodeLimit, encodeLimit, limitMessage } from './wire.js';

/**
 * The limits as Redis keeps them: `{prefix:key}:limit` is what the scripts enforce (it lives in the
 * budget's hash slot), the `prefix:limits` hash is the list every instance resolves budgets from,
 * and a message on the channel tells the others at once. Writes that fail (Redis down) are kept
 * and written again on recovery, so a limit set during an outage is not lost.
 */
export class LimitStore {
  readonly #ctx: RedisContext;
  // Limits set here that Redis has not taken yet: key -> limit, or undefined for a removal.
  readonly #unsynced = new Map<string, number | undefined>();
  // The cluster id seen last; a different one means Redis lost its data in between.
  #clusterId: string | null | undefined = undefined;

  constructor(ctx: RedisContext) {
    this.#ctx = ctx;
  }

  /** Stores a limit (or removes it with `undefined`) and announces it. */
  async write(keyOrPrefix: string, limit: number | undefined): Promise<void> {
    const key = normalizeLimitKey(keyOrPrefix);
    this.#unsynced.set(key, limit);
    const { client, prefix, channel, instanceName } = this.#ctx;
    const text = limit === undefined ? null : encodeLimit(limit);
    const limitKey = budgetKeys(prefix, key).limit;
    try {
      // The enforced value first, then the list, then the news.
      if (text === null) await Promise.all([client.del(limitKey), client.hdel(limitsKey(prefix), key)]);
      else await Promise.all([client.set(limitKey, text), client.hset(limitsKey(prefix), key, text)]);
      await client.publish(channel, limitMessage(key, text, instanceName));
      if (this.#unsynced.get(key) === limit) this.#unsynced.delete(key);
    } catch (error) {
      this.#ctx.report('command', `storing the limit of ${key} in Redis failed; it is stored again when Redis answers`, error);
    }
  }

  /** Writes again what failed before. */
  async flush(): Promise<void> {
    await Promise.all([...this.#unsynced].map(([key, limit]) => this.write(key, limit)));
  }

  /** Writes every limit known here: used when Redis lost its data. */
  async restore(limits: ReadonlyMap<string, number>): Promise<void> {
    this.#unsynced.clear();
    await Promise.all([...limits].map(([key, limit]) => this.write(key, limit)));
  }

  /** The limits hash; entries that are not valid limits are skipped. */
  async read(): Promise<Map<string, number>> {
    const raw = await this.#ctx.client.hgetall(limitsKey(this.#ctx.prefix));
    const limits = new Map<string, number>();
    for (const [key, text] of Object.entries(raw)) {
      const limit = decodeLimit(text);
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
