import type { Either } from 'fp-ts/lib/Either.js';
import type { Observable } from 'rxjs';
import type {
  AttemptContext,
  CancelResult,
  ClearReport,
  FlowRejected,
  SetPriorityRejected,
  ConfigRejected,
  HandlerResult,
  Provider,
  ProviderMap,
  ProviderName,
  ShutdownReport,
  StatsSnapshot,
  SubmitRejected,
  TaskEvent,
  TaskInput,
  TaskOutcome,
  WithProvider,
} from '../types.js';
import type { CallbackError } from '../errors/CallbackError.js';
import type { RateLimit } from '../slots/rateLimitedCoordinator.js';
import type { ClusterStats } from '../slots/slotCoordinator.js';
import type { TaskHandle } from './taskHandle.js';
import type { ServerEvent } from '../slots/fleet/serverEvent.js';

export interface CommandOptions {
  readonly id?: string;
  /** Per attempt; default: the manager's timeout for callback name ''. */
  readonly timeoutMs?: number;
  /** @default 0: a command runs once */
  readonly maxRetries?: number;
}

export interface ShutdownOptions {
  /** `drain` runs the queues to empty; `cancel` cancels queued and waiting tasks at once. @default 'drain' */
  readonly mode?: 'drain' | 'cancel';
  /**
   * How long running attempts (and, in drain mode, the queues) may go on before everything left is
   * cancelled and running attempts are aborted. @default Infinity for drain, 10_000 for cancel
   */
  readonly graceMs?: number;
}

/**
 * A task manager: see {@link createTaskManager}.
 * @typeParam M - provider name → payload and result types, inferred from the providers given to
 * `createTaskManager`; the default accepts any name and payload and types results as `unknown`.
 * @since 0.1.0
 */
export interface TaskManager<M extends ProviderMap = ProviderMap> {
  /** Submits a task of a provider of `M` with its payload type; the handle's outcome has its result type. */
  submit<N extends ProviderName<M>>(input: TaskInput<M[N]['payload'], N>): Either<SubmitRejected, TaskHandle<M[N]['result']>>;
  /** Submits and resolves the outcome; rejects with SubmitRejectedError when not accepted. */
  run<N extends ProviderName<M>>(input: TaskInput<M[N]['payload'], N>): Promise<TaskOutcome<M[N]['result']>>;
  /** Runs `fn` on one of the provider's servers, ahead of its tasks; the outcome has `fn`'s result type. */
  command<R>(provider: ProviderName<M>, fn: (ctx: AttemptContext) => HandlerResult<R>, options?: CommandOptions): Either<SubmitRejected, TaskHandle<R>>;
  cancel(id: string): CancelResult;
  /** Moves a queued task to `priority`, at the end of that level; refused for a task that is not queued. */
  setPriority(id: string, priority: number): Either<SetPriorityRejected, void>;
  /** Nothing new of this provider starts until `resume`; running work goes on, submissions queue. */
  pause(provider: string): Either<FlowRejected, void>;
  resume(provider: string): Either<FlowRejected, void>;
  /** Cancels everything queued of this provider (reason `clear`); it stays usable. */
  clear(provider: string): Either<FlowRejected, ClearReport>;
  /** Resolves once no task (of `provider`, or of any provider) is queued, waiting or running. */
  onIdle(provider?: string): Promise<void>;
  /** Resolves once nothing (of `provider`, or at all) is queued. */
  onEmpty(provider?: string): Promise<void>;
  /** Resolves once fewer than `n` tasks (of `provider`, or in all) are queued. */
  onSizeLessThan(n: number, provider?: string): Promise<void>;
  /** `onIdle` as an Observable: emits once and completes when idle; unsubscribing stops waiting. */
  idle$(provider?: string): Observable<void>;
  empty$(provider?: string): Observable<void>;
  sizeLessThan$(n: number, provider?: string): Observable<void>;
  setServerLimit(serverOrPrefix: string, limit: number): void;
  /**
   * Sets (undefined: removes) the start rate of the budget with that key, live. Only for a manager
   * created with `rateLimits` (else `InvalidConfig`); a bad rate is `InvalidConfig` naming the field.
   */
  setRateLimit(serverOrPrefix: string, rate: RateLimit | undefined): Either<ConfigRejected, void>;
  removeServerLimit(serverOrPrefix: string): void;
  updateProviderServers(provider: string, servers: readonly string[]): Either<ConfigRejected, void>;
  /**
   * Adds a provider while running. On success the same manager is returned, typed with the new
   * provider too: `this` keeps its type (a TypeScript type cannot grow), so use the returned one to
   * submit to the new provider with its types.
   */
  addProvider<const N extends string, P, R>(provider: Provider<P, R, N>): Either<ConfigRejected, TaskManager<WithProvider<M, N, P, R>>>;
  readonly events$: Observable<TaskEvent>;
  readonly stats$: Observable<StatsSnapshot>;
  /** Adaptive limits that moved, servers ejected and restored (see `adaptiveLimits`, `health`). Completes at shutdown. */
  readonly serverEvents$: Observable<ServerEvent>;
  /**
   * User code that threw (a subscriber, a listener, `isRetryable`, the timeout function, `random`,
   * the logger, a handler's teardown): reported here and to the logger; nothing else changes.
   */
  readonly callbackErrors$: Observable<CallbackError>;
  /**
   * The budgets as every process sharing the coordinator sees them (limit, slots in use everywhere,
   * processes waiting), read on the coordinator's cadence while subscribed: with `smt-rx/redis`, one
   * read every `clusterStatsMs` shared by all subscribers, and the last one at once for a late one.
   * `stats()` stays synchronous and per process. With a coordinator that has no such view (the
   * in-process one, whose `stats()` is already the whole picture) it completes at once with no
   * value. Completes at shutdown.
   */
  readonly clusterStats$: Observable<ClusterStats>;
  stats(): StatsSnapshot;
  shutdown(options?: ShutdownOptions): Promise<ShutdownReport>;
}
