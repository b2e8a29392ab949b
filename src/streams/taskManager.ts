import { isRight, right, type Either, type Left } from 'fp-ts/lib/Either.js';
import type { Observable, Unsubscribable } from 'rxjs';
import { SubmitRejectedError } from '../errors/SubmitRejectedError.js';
import type { CallbackError } from '../errors/CallbackError.js';
import type { ServerEvent } from '../slots/fleet/serverEvent.js';
import type { ClusterStats } from '../slots/slotCoordinator.js';
import type {
  AttemptContext,
  CancelResult,
  ClearReport,
  ConfigRejected,
  FlowRejected,
  HandlerResult,
  SetPriorityRejected,
  Provider,
  ProviderMap,
  ProviderMapOf,
  ProviderName,
  ShutdownReport,
  StatsSnapshot,
  SubmitRejected,
  TaskEvent,
  TaskInput,
  TaskOutcome,
  WithProvider,
} from '../types.js';
import { Admission } from './admission.js';
import type { AttemptRun } from './attemptRun.js';
import { Attempts } from './attempts.js';
import { clusterView } from './clusterView.js';
import { Cancellation } from './cancellation.js';
import { Configuration } from './configuration.js';
import { Effect } from './effects.js';
import { FlowControl } from './flowControl.js';
import { DelayedTasks } from './delayedTasks.js';
import { SizeSignals, whenEmpty, whenIdle, whenSizeBelow } from './sizeSignals.js';
import { expectPositiveOrInfinity } from '../errors/checks.js';
import { invalidMessage } from '../errors/invalidOption.js';
import { ManagerCore } from './managerCore.js';
import { resolveOptions, type TaskManagerOptions } from './options.js';
import { Outcomes } from './outcomes.js';
import { Shutdown } from './shutdown.js';
import { TaskHandleImpl, type TaskHandle } from './taskHandle.js';
import type { CommandOptions, ShutdownOptions, TaskManager } from './taskManagerApi.js';
import type { RateLimit } from '../slots/rateLimitedCoordinator.js';
import { TaskRecord } from './taskRecord.js';

export type { CommandOptions, ShutdownOptions, TaskManager } from './taskManagerApi.js';

/**
 * Creates a task manager: one priority queue and command lane per provider, per-server slot
 * budgets shared by every provider that lists a server, retries with backoff, abortable attempt
 * timeouts, cancellation in every state, live reconfiguration and graceful shutdown.
 *
 * Every call is one whole transition, and user code (handlers, subscribers, listeners, option
 * callbacks, the logger) only runs between transitions: a call made from user code is a
 * transition of its own, and a throw in user code is reported on `callbackErrors$` and the logger
 * without changing anything else.
 *
 * ## Example
 * ```ts
 * import { createTaskManager, defineProvider, type Task } from 'smt-rx';
 *
 * const ai = defineProvider({
 *   name: 'ai',
 *   servers: ['https://gpu-1.example.com', 'https://gpu-2.example.com'],
 *   handle: (task: Task<{ prompt: string }>, ctx) =>
 *     fetch(`${ctx.server}/generate`, { method: 'POST', body: task.payload.prompt, signal: ctx.signal }).then((r) => r.text()),
 * });
 * const manager = createTaskManager({ providers: [ai], retry: { maxRetries: 2 } });
 * const outcome = await manager.run({ provider: 'ai', payload: { prompt: 'hi' }, priority: 5 });
 * ```
 */
export function createTaskManager<const Ps extends readonly Provider[]>(options: TaskManagerOptions<Ps>): TaskManager<ProviderMapOf<Ps>> {
  return new SmtTaskManager(new ManagerCore(resolveOptions(options)));
}

// The map M is a compile-time view only: at runtime every provider takes `unknown` payloads.
class SmtTaskManager<M extends ProviderMap> implements TaskManager<M> {
  readonly events$: Observable<TaskEvent>;
  readonly stats$: Observable<StatsSnapshot>;
  readonly serverEvents$: Observable<ServerEvent>;
  readonly callbackErrors$: Observable<CallbackError>;
  readonly clusterStats$: Observable<ClusterStats>;
  readonly #core: ManagerCore;
  readonly #outcomes: Outcomes;
  readonly #admission: Admission;
  readonly #attempts: Attempts;
  readonly #cancellation: Cancellation;
  readonly #configuration: Configuration;
  readonly #shutdown: Shutdown;
  readonly #flow: FlowControl;
  readonly #sizes: SizeSignals;

  constructor(core: ManagerCore) {
    this.#core = core;
    this.#outcomes = new Outcomes(core);
    this.#admission = new Admission(core);
    this.#attempts = new Attempts(core, this.#outcomes);
    this.#cancellation = new Cancellation(core, this.#outcomes);
    this.#configuration = new Configuration(core, this.#outcomes, this.#attempts.work);
    this.#shutdown = new Shutdown(core, this.#outcomes, this.#cancellation);
    this.#flow = new FlowControl(core, this.#cancellation, this.#configuration.pipelines);
    this.#sizes = new SizeSignals(core);
    this.#admission.makeRoom = (lane, priority) => this.#flow.makeRoom(lane, priority);
    this.#admission.ownPipeline = (lane) => this.#configuration.pipelines.own(lane);
    this.#shutdown.beforeDrain = () => this.#flow.resumeAll();
    const delayed = new DelayedTasks(core);
    this.#admission.hold = (lane, record, dueAt) => delayed.hold(lane, record, dueAt);
    core.runner = { run: (kind, a, b, c) => this.#runEffect(kind, a, b, c) };
    this.#admission.abortTask = (record, reason) => this.#transition(() => this.#cancellation.cancelRecord(record, 'abort', reason));
    this.events$ = core.events.observable;
    this.stats$ = core.stats.observable;
    this.serverEvents$ = core.serverEvents.observable;
    this.callbackErrors$ = core.callbackErrors.observable;
    this.clusterStats$ = clusterView(core.o.coordinator.clusterStats$, core.finished.observable, (error) => core.reportThrow('clusterStats$ subscriber', error));
    core.enter();
    try {
      for (const provider of core.o.providers) this.#configuration.openLane(provider);
      // A coordinator passed in may be shared: its limits may be other managers' business.
      if (core.o.ownsCoordinator) this.#configuration.warnIfUncovered(core.coordinator.limits().keys());
    } finally {
      core.exit();
    }
  }

  submit<N extends ProviderName<M>>(input: TaskInput<M[N]['payload'], N>): Either<SubmitRejected, TaskHandle<M[N]['result']>> {
    // Written out rather than through #transition: a closure per submission shows on the hot path.
    const core = this.#core;
    let submitted: TaskRecord | Left<SubmitRejected>;
    core.enter();
    try {
      submitted = this.#admission.submit(input);
    } finally {
      core.exit();
    }
    return this.#handleOf(submitted);
  }

  run<N extends ProviderName<M>>(input: TaskInput<M[N]['payload'], N>): Promise<TaskOutcome<M[N]['result']>> {
    const submitted = this.#transition(() => this.#admission.submit(input));
    if (!(submitted instanceof TaskRecord)) return Promise.reject(new SubmitRejectedError(submitted.left));
    const record = submitted;
    return new Promise((resolve) => this.#outcomes.onOutcome(record, (outcome) => resolve(outcome as TaskOutcome<M[N]['result']>)));
  }

  command<R>(provider: ProviderName<M>, fn: (ctx: AttemptContext) => HandlerResult<R>, options?: CommandOptions): Either<SubmitRejected, TaskHandle<R>> {
    return this.#handleOf(this.#transition(() => this.#admission.command(provider, fn, options)));
  }

  cancel(id: string): CancelResult {
    // The transition bracket written out: a cancel usually runs cold (unoptimised), where the
    // closure and the extra call of #transition were a tenth of its cost.
    const core = this.#core;
    core.enter();
    try {
      return this.#cancellation.cancel(id);
    } finally {
      core.exit();
    }
  }

  setPriority(id: string, priority: number): Either<SetPriorityRejected, void> {
    return this.#transition(() => this.#flow.setPriority(id, priority));
  }

  pause(provider: string): Either<FlowRejected, void> {
    return this.#transition(() => this.#flow.pause(provider));
  }

  resume(provider: string): Either<FlowRejected, void> {
    return this.#transition(() => this.#flow.resume(provider));
  }

  clear(provider: string): Either<FlowRejected, ClearReport> {
    return this.#transition(() => this.#flow.clear(provider));
  }

  onIdle(provider?: string): Promise<void> {
    return this.#sizes.promise(provider, whenIdle);
  }

  onEmpty(provider?: string): Promise<void> {
    return this.#sizes.promise(provider, whenEmpty);
  }

  onSizeLessThan(n: number, provider?: string): Promise<void> {
    const problem = expectPositiveOrInfinity(n);
    if (problem !== undefined) return Promise.reject(new TypeError(invalidMessage('n', problem, n)));
    return this.#sizes.promise(provider, whenSizeBelow(n));
  }

  idle$(provider?: string): Observable<void> {
    return this.#sizes.observable(provider, whenIdle);
  }

  empty$(provider?: string): Observable<void> {
    return this.#sizes.observable(provider, whenEmpty);
  }

  sizeLessThan$(n: number, provider?: string): Observable<void> {
    const problem = expectPositiveOrInfinity(n);
    if (problem !== undefined) throw new TypeError(invalidMessage('n', problem, n));
    return this.#sizes.observable(provider, whenSizeBelow(n));
  }

  setRateLimit(serverOrPrefix: string, rate: RateLimit | undefined): Either<ConfigRejected, void> {
    return this.#transition(() => this.#flow.setRateLimit(serverOrPrefix, rate));
  }

  setServerLimit(serverOrPrefix: string, limit: number): void {
    this.#transition(() => this.#configuration.setServerLimit(serverOrPrefix, limit));
  }

  removeServerLimit(serverOrPrefix: string): void {
    this.#transition(() => this.#configuration.removeServerLimit(serverOrPrefix));
  }

  updateProviderServers(provider: string, servers: readonly string[]): Either<ConfigRejected, void> {
    return this.#transition(() => this.#configuration.updateProviderServers(provider, servers));
  }

  addProvider<const N extends string, P, R>(provider: Provider<P, R, N>): Either<ConfigRejected, TaskManager<WithProvider<M, N, P, R>>> {
    const added = this.#transition(() => this.#configuration.addProvider(provider));
    // The same manager, seen with the new provider's types.
    return isRight(added) ? right(this as TaskManager<M> as TaskManager<WithProvider<M, N, P, R>>) : added;
  }

  stats(): StatsSnapshot {
    return this.#core.stats.current();
  }

  shutdown(options?: ShutdownOptions): Promise<ShutdownReport> {
    return this.#transition(() => this.#shutdown.shutdown(options));
  }

  /** One whole transition; the user code it deferred runs before the call returns. */
  #transition<T>(change: () => T): T {
    const core = this.#core;
    core.enter();
    try {
      return change();
    } finally {
      core.exit();
    }
  }

  #handleOf<R>(submitted: TaskRecord | Left<SubmitRejected>): Either<SubmitRejected, TaskHandle<R>> {
    if (submitted instanceof TaskRecord) return right(new TaskHandleImpl<R>(this.#handleHost, submitted));
    return submitted;
  }

  readonly #handleHost = {
    outcomeOf: <R>(record: TaskRecord) => this.#outcomes.outcomeOf<R>(record),
    eventsOf: (record: TaskRecord) => this.#outcomes.eventsOf(record),
    cancelRecord: (record: TaskRecord) => this.#transition(() => this.#cancellation.cancelRecord(record)),
  };

  #runEffect(kind: Effect, a: unknown, b: unknown, c: unknown): void {
    switch (kind) {
      case Effect.Outcome:
        this.#outcomes.runListeners(a as TaskRecord);
        break;
      case Effect.Invoke:
        // b: its `started` event, when someone hears it (delivered first, in order).
        if (b !== undefined) this.#core.deliver(b as TaskEvent, (a as AttemptRun).record);
        (a as AttemptRun).invoke();
        break;
      case Effect.Abort:
        (a as AttemptRun).runAbort();
        break;
      case Effect.Abandon:
        this.#transition(() => (a as AttemptRun).abandon());
        break;
      case Effect.DecideFailure:
        this.#attempts.decideFailure(a as AttemptRun, b, c as number);
        break;
      case Effect.Teardown:
        (b as AttemptRun).tearDown(a as Unsubscribable);
        break;
      case Effect.InnerDone:
        (a as AttemptRun).innerDone();
        break;
      case Effect.Stop:
        this.#shutdown.finish();
        break;
      case Effect.CheckSizes:
        this.#sizes.check();
        break;
      default:
        break;
    }
  }
}
