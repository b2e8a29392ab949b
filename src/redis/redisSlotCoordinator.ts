import { endWith, ignoreElements, type Observable, Subject } from 'rxjs';
import { check, expectLimit, expectNonEmptyString } from '../errors/checks.js';
import type { BudgetState, SlotChange } from '../slots/slotCoordinator.js';
import { closeClient, isRedisClient, ownClient, trackErrors, whenReady, type RedisClient } from './client.js';
import type { ClusterBudgetState, ClusterStats, RedisSlotCoordinator } from './redisSlotCoordinatorApi.js';
import { ConnectionWatch } from './connectionWatch.js';
import { type RedisContext } from './context.js';
import { inspectBudget, pollClusterStats, readClusterStats } from './clusterStats.js';
import { subscribeEvents } from './eventSubscriber.js';
import { InstanceClaim, type ClaimState } from './instanceClaim.js';
import { eventsChannel } from './keys.js';
import { LeaseBook } from './leaseBook.js';
import { LeaseRenewer } from './leaseRenewer.js';
import type { LimitDelta } from './limitCache.js';
import { LimitSync } from './limitSync.js';
import { MAX_LIMIT_KEY, resolveRedisOptions, type RedisSlotCoordinatorOptions, type ResolvedRedisOptions } from './options.js';
import { RedisCoordinatorError } from './redisCoordinatorError.js';
import { Recovery } from './recovery.js';
import { checkedRate, rateSync, type RateLimit, type RateSync } from './redisRates.js';
import { Reporter } from './reporter.js';
import { forgetting } from './serverForgetting.js';
import { SlotAcquirer } from './slotAcquirer.js';
import { withTimeout } from './withTimeout.js';
import { encodeLimit, parseMessage } from './wire.js';

/**
 * Creates a slot coordinator whose per-server budgets hold across processes, through Redis. Give
 * it to `createTaskManager({ coordinator })`; each process still runs only the tasks it was given.
 *
 * Resolves once Redis answered, the instance name was claimed and the limits were loaded; rejects
 * with a RedisCoordinatorError when the name is taken by a live process or Redis does not answer
 * within `connectTimeoutMs`. Bad options throw a TypeError at once.
 *
 * The manager does not close a coordinator it was given: call `close()` after `shutdown()`. That
 * releases every slot still held, leaves the waiting queues and frees the instance name.
 *
 * ## Example
 * ```ts
 * import { hostname } from 'node:os';
 * import { createTaskManager, defineProvider } from 'smt-rx';
 * import { redisSlotCoordinator } from 'smt-rx/redis';
 *
 * const ai = defineProvider({ name: 'ai', servers: ['https://gpu.example.com/v1'], handle: () => 'done' });
 * const coordinator = await redisSlotCoordinator({
 *   redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
 *   instanceName: `worker-${hostname()}-${process.pid}`, // unique among live processes
 *   limits: { 'https://gpu.example.com': 4 },
 * });
 * const manager = createTaskManager({ providers: [ai], coordinator });
 * // ...
 * await manager.shutdown();
 * await coordinator.close();
 * ```
 * @since 0.1.0
 */
export function redisSlotCoordinator(options: RedisSlotCoordinatorOptions): Promise<RedisSlotCoordinator> {
  const resolved = resolveRedisOptions(options);
  const client = isRedisClient(resolved.redis) ? resolved.redis : ownClient(resolved.redis);
  return new RedisSlotCoordinatorImpl(resolved, client, client !== resolved.redis).start();
}

class RedisSlotCoordinatorImpl implements RedisSlotCoordinator {
  readonly instanceName: string;
  readonly changes$: Observable<SlotChange>;
  readonly errors$: Observable<RedisCoordinatorError>;
  readonly connected$: Observable<boolean>;
  readonly clusterStats$: Observable<ClusterStats>;
  readonly countsWeights = true;
  readonly #o: ResolvedRedisOptions;
  readonly #ctx: RedisContext;
  readonly #owned: boolean;
  readonly #changes = new Subject<SlotChange>();
  readonly #reporter: Reporter;
  readonly #limits: LimitSync;
  readonly #rates: RateSync;
  readonly #book = new LeaseBook();
  readonly #acquirer: SlotAcquirer;
  readonly #claim: InstanceClaim;
  readonly #renewer: LeaseRenewer;
  readonly #watch: ConnectionWatch;
  readonly #recovery: Recovery;
  readonly forget = forgetting(() => ({ cache: this.#limits.cache, book: this.#book, memos: [this.#acquirer, this.#renewer, this.#recovery] }));
  #subscriber: RedisClient | undefined = undefined;
  #nameHeld = true;
  #closed = false;
  #closing: Promise<void> | undefined = undefined;

  constructor(options: ResolvedRedisOptions, client: RedisClient, owned: boolean) {
    this.#o = options;
    this.#owned = owned;
    this.instanceName = options.instanceName;
    this.#reporter = new Reporter(options.instanceName, options.logger);
    this.#ctx = {
      client,
      prefix: options.keyPrefix,
      instanceName: options.instanceName,
      channel: eventsChannel(options.keyPrefix),
      leaseMs: options.leaseMs,
      defaultLimitText: encodeLimit(options.defaultLimit),
      scheduler: options.scheduler,
      random: options.random,
      canAsk: () => !this.#closed && this.#nameHeld && this.#watch.ready && this.#recovery.settled,
      generation: () => this.#recovery.generation,
      report: (kind, message, cause) => this.#reporter.report(kind, message, cause),
      log: (level, message) => this.#reporter.log(level, message),
    };
    this.#limits = new LimitSync(this.#ctx, options.defaultLimit, (delta) => this.#apply(delta));
    this.#rates = rateSync(this.#ctx, (written) => this.#limits.cache.budgetKey(written), (budget) => this.#acquirer.probe(budget));
    this.#claim = new InstanceClaim(this.#ctx);
    this.#acquirer = new SlotAcquirer(this.#ctx, {
      room: (budget) => this.#changes.next({ type: 'room', budget }),
      budgets: () => this.#limits.cache.budgets(),
    });
    this.#renewer = new LeaseRenewer(this.#ctx, this.#book, this.#claim, {
      onLapsed: (budget, count) =>
        this.#ctx.report(
          'lease-lost',
          `${count} lease(s) on ${budget} had lapsed while their work ran here (Redis was unreachable for longer than leaseMs, or lost its data); they are listed again`,
        ),
      onClaim: (state) => this.#onClaim(state),
      onRenewed: () => void Promise.all([this.#limits.checkData(), this.#rates.checkData()]),
    });
    this.#watch = new ConnectionWatch(client, { onDown: (cause) => void (this.#closed || this.#recovery.down(cause)), onUp: () => this.#recover() });
    this.#recovery = new Recovery(this.#ctx, { renewNow: () => this.#renewer.renewNow(), knownBudgets: () => this.#knownBudgets(), resume: () => this.#resume() });
    this.changes$ = this.#changes.asObservable();
    this.errors$ = this.#reporter.errors$;
    this.connected$ = this.#watch.connected$;
    this.clusterStats$ = pollClusterStats(() => this.clusterStats(), options.clusterStatsMs, options.scheduler, this.#changes.pipe(ignoreElements(), endWith(true)));
  }

  async start(): Promise<RedisSlotCoordinator> {
    const ms = this.#o.connectTimeoutMs;
    const errors = trackErrors(this.#ctx.client);
    try {
      await withTimeout(this.#setUp(), ms, this.#o.scheduler, () => errors.failure(`did not answer within ${ms} ms (connectTimeoutMs)`));
      return this;
    } catch (error) {
      this.#closed = true;
      await this.#tearDown(true);
      throw error instanceof RedisCoordinatorError ? error : errors.failure('refused the set-up', error);
    } finally {
      errors.stop();
    }
  }

  budgetOf(serverKey: string): string {
    return this.#limits.cache.budgetOf(serverKey);
  }

  /** The limit is cluster-wide; `inUse` counts the slots this process holds; `blocked` by the rate. */
  budget(written: string): BudgetState {
    const budgetKey = this.#limits.cache.budgetKey(written);
    const state = { limit: this.#limits.cache.limitOf(budgetKey), inUse: this.#book.count(budgetKey) };
    return this.#acquirer.rateBlocked(budgetKey) ? { ...state, blocked: true } : state;
  }

  tryAcquire(serverKey: string, weight = 1): boolean {
    if (this.#closed) return false;
    const budget = this.budgetOf(serverKey);
    const id = this.#acquirer.takeSpare(budget, weight);
    if (id !== undefined) {
      this.#book.hold(serverKey, { id, budget, weight });
      return true;
    }
    this.#acquirer.want(budget, weight);
    return false;
  }

  release(serverKey: string, weight = 1): void {
    const lease = this.#book.take(serverKey, weight);
    if (lease === undefined) return; // an unmatched release must never create room
    void this.#acquirer.release(lease.budget, lease.id);
    // Items waiting here may ask again; Redis decides whether they or an earlier waiter get it.
    if (!this.#closed) this.#changes.next({ type: 'room', budget: lease.budget });
  }

  setLimit(keyOrPrefix: string, limit: number): void {
    check('keyOrPrefix', keyOrPrefix, (v) => expectNonEmptyString(v, MAX_LIMIT_KEY));
    check('limit', limit, expectLimit);
    if (!this.#closed) this.#limits.set(keyOrPrefix, limit);
  }

  removeLimit(keyOrPrefix: string): void {
    check('keyOrPrefix', keyOrPrefix, (v) => expectNonEmptyString(v, MAX_LIMIT_KEY));
    if (!this.#closed) this.#limits.set(keyOrPrefix, undefined);
  }

  limits = (): ReadonlyMap<string, number> => this.#limits.cache.entries();

  setRate(keyOrPrefix: string, rate: RateLimit | undefined): void {
    const checked = checkedRate(keyOrPrefix, rate); // cluster-wide, see the `rates` option
    if (!this.#closed) this.#rates.set(keyOrPrefix, checked);
  }
  rates = (): ReadonlyMap<string, RateLimit> => this.#rates.cache.entries();

  clusterBudget(written: string): Promise<ClusterBudgetState> {
    return inspectBudget(this.#ctx, this.forget.keys, this.#limits.cache.budgetKey(written), this.#o.defaultLimit);
  }

  clusterStats(): Promise<ClusterStats> {
    return readClusterStats(this.#knownBudgets(), (budget) => this.clusterBudget(budget));
  }

  #knownBudgets(): string[] {
    return [...this.#limits.cache.entries().keys(), ...this.#limits.cache.budgets(), ...this.#book.idsByBudget().keys()];
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #setUp(): Promise<void> {
    await whenReady(this.#ctx.client);
    await this.#recovery.identify();
    await this.#claim.claim();
    this.#subscriber = await subscribeEvents(this.#ctx.client, this.#ctx.channel, {
      onMessage: (text) => this.#onMessage(text),
      onResubscribed: () => void Promise.all([this.#limits.resync(), this.#rates.resync()]),
    });
    await Promise.all([this.#limits.load(this.#o.limits), this.#rates.load(this.#o.rates)]);
    if (this.#closed) return; // timed out meanwhile; start() tears down
    this.#watch.attach();
    this.#renewer.start();
  }

  async #shutDown(): Promise<void> {
    this.#closed = true;
    this.#renewer.stop();
    const leases = this.#book.clear();
    const giveBack = Promise.all([
      ...leases.map((lease) => this.#acquirer.release(lease.budget, lease.id)),
      this.#acquirer.close(),
      this.#claim.drop().catch((error: unknown) => this.#ctx.report('command', 'freeing the instance name failed; it frees within leaseMs', error)),
    ]);
    // Redis down: the leases lapse by themselves within leaseMs; do not hang the caller.
    await withTimeout(giveBack, Math.min(this.#o.connectTimeoutMs, 5_000), this.#o.scheduler, () => new Error('close timed out')).catch(() => undefined);
    await this.#tearDown(false);
  }

  async #tearDown(dropClaim: boolean): Promise<void> {
    this.#renewer.stop();
    this.#watch.dispose();
    this.#changes.complete();
    this.#subscriber?.disconnect();
    const client = this.#ctx.client;
    if (dropClaim && client.status === 'ready') await this.#claim.drop().catch(() => undefined);
    if (this.#owned) await closeClient(client, this.#o.scheduler);
    this.#reporter.complete();
  }

  #onMessage(text: string): void {
    const message = parseMessage(text);
    if (message === undefined || this.#closed) return;
    if (message.t === 'room') this.#acquirer.wake(message.b, message.to);
    else [this.#limits, this.#rates].forEach((sync) => sync.apply(message));
  }

  #recover(): void {
    if (this.#closed) return;
    this.#ctx.log('info', 'Redis answers again; resuming');
    void this.#recovery.up(); // lists running work again and fences where needed, then resumes
  }

  #resume(): void {
    if (this.#closed) return;
    void Promise.all([this.#limits.resync(), this.#rates.resync()]);
    this.#acquirer.probeAll();
  }

  #onClaim(state: ClaimState): void {
    if (state === 'taken') {
      if (this.#nameHeld) {
        this.#ctx.report('instance-name', `Another live process took the instance name ${JSON.stringify(this.instanceName)}; this one asks for no slots until it is free`);
      }
      this.#nameHeld = false;
      return;
    }
    if (this.#nameHeld) return;
    this.#nameHeld = true;
    this.#ctx.log('info', 'instance name claimed again');
    this.#acquirer.probeAll();
  }

  #apply(delta: LimitDelta): void {
    if (this.#closed) return;
    if (delta.keysChanged) this.#regroup();
    for (const budget of delta.raised) this.#acquirer.probe(budget);
  }

  // The set of limit keys changed: servers may draw on other budgets now. Running work keeps
  // counting where its server belongs now, here and in Redis; then the broker re-resolves.
  #regroup(): void {
    for (const moved of this.#book.rebudget((serverKey) => this.budgetOf(serverKey))) {
      this.#renewer.adopt(moved.to, moved.id);
      void this.#acquirer.release(moved.from, moved.id);
    }
    this.#changes.next({ type: 'budgets' });
  }
}
