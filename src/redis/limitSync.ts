import type { RedisContext } from './context.js';
import { LimitCache, type LimitDelta } from './limitCache.js';
import { LimitStore } from './limitStore.js';
import { decodeLimit, type CoordinatorMessage } from './wire.js';

/**
 * Keeps this process's limits equal to the cluster's: local changes are written to Redis and
 * announced; announced changes of other instances are applied here; after missed messages or
 * data loss the hash is read again (and, if Redis lost it, written back from what is known
 * here). Every change ends in `onDelta`, which tells the broker what moved.
 */
export class LimitSync {
  readonly cache: LimitCache;
  readonly #store: LimitStore;
  readonly #ctx: RedisContext;
  readonly #onDelta: (delta: LimitDelta) => void;

  constructor(ctx: RedisContext, defaultLimit: number, onDelta: (delta: LimitDelta) => void) {
    this.#ctx = ctx;
    this.cache = new LimitCache(defaultLimit);
    this.#store = new LimitStore(ctx);
    this.#onDelta = onDelta;
  }

  /** At start: writes this process's configured limits, then reads them all. */
  async load(configured: ReadonlyMap<string, number>): Promise<void> {
    await this.#store.checkCluster();
    await Promise.all([...configured].map(([key, limit]) => this.#store.write(key, limit)));
    this.cache.replace(await this.#store.read());
  }

  /** A limit set here (`undefined` removes it). */
  set(keyOrPrefix: string, limit: number | undefined): void {
    // Sent before any acquire the change may cause, on the same connection, so those see it.
    void this.#store.write(keyOrPrefix, limit);
    this.#onDelta(limit === undefined ? this.cache.remove(keyOrPrefix) : this.cache.set(keyOrPrefix, limit));
  }

  /** A limit change announced by another instance. */
  apply(message: Extract<CoordinatorMessage, { t: 'limit' }>): void {
    if (message.by === this.#ctx.instanceName) return; // applied here when it was set
    if (message.v === null) {
      this.#onDelta(this.cache.remove(message.k));
      return;
    }
    const limit = decodeLimit(message.v);
    if (limit !== undefined) this.#onDelta(this.cache.set(message.k, limit));
  }

  /** Reads the limits again (after missed messages), restoring them first if Redis lost its data. */
  async resync(): Promise<void> {
    try {
      if (await this.#store.checkCluster()) await this.#restore();
      else await this.#store.flush();
      this.#onDelta(this.cache.replace(await this.#store.read()));
    } catch (error) {
      this.#ctx.report('command', 'reading the limits from Redis failed', error);
    }
  }

  /** Data can also be lost without a disconnect (FLUSHALL, a failover to an empty replica). */
  async checkData(): Promise<void> {
    try {
      if (await this.#store.checkCluster()) await this.#restore();
    } catch (error) {
      this.#ctx.report('command', 'checking Redis for data loss failed', error);
    }
  }

  async #restore(): Promise<void> {
    this.#ctx.log('warn', 'Redis lost its data; writing back the limits known here');
    await this.#store.restore(this.cache.entries());
  }
}
