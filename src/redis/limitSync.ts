import type { RedisContext } from './context.js';
import { LimitCache, type LimitDelta } from './limitCache.js';
import { LIMITS, LimitStore, type SettingKind } from './limitStore.js';
import type { CoordinatorMessage } from './wire.js';

/** This process's copy of one kind of setting; every change answers what moved (`D`). */
export interface SettingCache<V, D> {
  set(keyOrPrefix: string, value: V): D;
  remove(keyOrPrefix: string): D;
  /** Makes the copy equal to `values` (the hash as read from Redis). */
  replace(values: ReadonlyMap<string, V>): D;
  entries(): ReadonlyMap<string, V>;
}

/**
 * Keeps this process's copy of a setting (limits, start rates) equal to the cluster's: local
 * changes are written to Redis and announced; announced changes of other instances are applied
 * here; after missed messages or data loss the hash is read again (and, if Redis lost it, written
 * back from what is known here). Every change ends in `onDelta`, which tells the broker what moved.
 */
export class SettingSync<V, D, C extends SettingCache<V, D> = SettingCache<V, D>> {
  readonly #store: LimitStore<V>;
  readonly #ctx: RedisContext;
  readonly #kind: SettingKind<V>;
  readonly #onDelta: (delta: D) => void;

  constructor(
    ctx: RedisContext,
    readonly cache: C,
    kind: SettingKind<V>,
    onDelta: (delta: D) => void,
    /** Redis lost its data and the values known here were written back. */
    readonly onRestored: (values: ReadonlyMap<string, V>) => void = () => undefined,
  ) {
    this.#ctx = ctx;
    this.#kind = kind;
    this.#store = new LimitStore(ctx, kind);
    this.#onDelta = onDelta;
  }

  /** At start: writes this process's configured values, then reads them all. */
  async load(configured: ReadonlyMap<string, V>): Promise<void> {
    await this.#store.checkCluster();
    await Promise.all([...configured].map(([key, value]) => this.#store.write(key, value)));
    this.cache.replace(await this.#store.read());
  }

  /** A value set here (`undefined` removes it). */
  set(keyOrPrefix: string, value: V | undefined): void {
    // Sent before any acquire the change may cause, on the same connection, so those see it.
    void this.#store.write(keyOrPrefix, value);
    this.#onDelta(value === undefined ? this.cache.remove(keyOrPrefix) : this.cache.set(keyOrPrefix, value));
  }

  /** A change announced by another instance. */
  apply(message: Exclude<CoordinatorMessage, { t: 'room' }>): void {
    if (message.by === this.#ctx.instanceName || message.t !== this.#kind.name) return; // applied here when it was set
    if (message.v === null) {
      this.#onDelta(this.cache.remove(message.k));
      return;
    }
    const value = this.#kind.decode(message.v);
    if (value !== undefined) this.#onDelta(this.cache.set(message.k, value));
  }

  /** Reads the values again (after missed messages), restoring them first if Redis lost its data. */
  async resync(): Promise<void> {
    try {
      if (await this.#store.checkCluster()) await this.#restore();
      else await this.#store.flush();
      this.#onDelta(this.cache.replace(await this.#store.read()));
    } catch (error) {
      this.#ctx.report('command', `reading the ${this.#kind.name}s from Redis failed`, error);
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
    this.#ctx.log('warn', `Redis lost its data; writing back the ${this.#kind.name}s known here`);
    await this.#store.restore(this.cache.entries());
    this.onRestored(this.cache.entries());
  }
}

/** The limits: see {@link SettingSync}. */
export class LimitSync extends SettingSync<number, LimitDelta, LimitCache> {
  constructor(ctx: RedisContext, defaultLimit: number, onDelta: (delta: LimitDelta) => void) {
    super(ctx, new LimitCache(defaultLimit), LIMITS, onDelta);
  }
}
