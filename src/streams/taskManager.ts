import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { defer, EMPTY, filter, merge, Observable, type ObservableInput, takeWhile } from 'rxjs';
import { isNonRetryableError } from '../errors/guards.js';
import { invalidMessage } from '../errors/invalidOption.js';
import { SlotWaitTimeoutError } from '../errors/SlotWaitTimeoutError.js';
import { SubmitRejectedError } from '../errors/SubmitRejectedError.js';
import { TaskCancelledError } from '../errors/TaskCancelledError.js';
import { check, expectLimit, expectNonEmptyString, expectNonNegativeOrInfinity, expectPositiveOrInfinity } from '../errors/checks.js';
import { backoffDelay } from '../operators/backoff.js';
import { compareRanked } from '../queues/levelQueue.js';
import { priorityBuffer } from '../operators/priorityBuffer.js';
import { shouldRetry } from '../operators/retryWithBackoff.js';
import { serverSlots } from '../operators/serverSlots.js';
import { SlotBroker, type SlotLease } from '../slots/slotBroker.js';
import type {
  AttemptContext,
  CancelResult,
  ConfigRejected,
  Provider,
  ShutdownReport,
  StatsSnapshot,
  SubmitRejected,
  TaskEvent,
  TaskInput,
  TaskOutcome,
} from '../types.js';
import { AttemptRun, type AttemptHost } from './attemptRun.js';
import { checkProvider, checkServerList, DEFAULT_TIMEOUT_MS, resolveOptions, type ResolvedOptions, type TaskManagerOptions } from './options.js';
import { ProviderLane } from './providerLane.js';
import { Multicast } from '../internal/multicast.js';
import { SlotWaitWatch } from './slotWaitWatch.js';
import { validateCommand, validateTaskInput } from './validateTaskInput.js';
import { outcomeEvent } from './outcomeEvent.js';
import { buildStats } from './stats.js';
import { StatsStream } from './statsStream.js';
import { TaskHandleImpl, type TaskHandle } from './taskHandle.js';
import type { CommandOptions, HandleHost, ShutdownOptions, TaskManager } from './taskManagerApi.js';

export type { CommandOptions, ShutdownOptions, TaskManager } from './taskManagerApi.js';
import { type CommandFn, TaskRecord, TaskState, type TaskExtras } from './taskRecord.js';
import { TaskRegistry } from './taskRegistry.js';
import { Timeline } from '../internal/timeline.js';

/**
 * Creates a task manager: one priority queue and command lane per provider, per-server slot
 * budgets shared by every provider that lists a server, retries with backoff, abortable attempt
 * timeouts, cancellation in every state, live reconfiguration and graceful shutdown.
 *
 * ## Example
 * ```ts
 * import { createTaskManager, defineProvider } from 'smt-rx';
 *
 * const ai = defineProvider({
 *   name: 'ai',
 *   servers: ['https://gpu-1.example.com', 'https://gpu-2.example.com'],
 *   handle: (task: { prompt: string }, ctx) => fetch(`${ctx.server}/generate`, { signal: ctx.signal }),
 * });
 * const manager = createTaskManager({ providers: [ai], retry: { maxRetries: 2 } });
 * const outcome = await manager.run({ provider: 'ai', payload: { prompt: 'hi' }, priority: 5 });
 * ```
 */
export function createTaskManager(options: TaskManagerOptions): TaskManager {
  return new SmtTaskManager(resolveOptions(options));
}

type Phase = 'running' | 'stopping' | 'stopped';

class SmtTaskManager implements TaskManager, AttemptHost, HandleHost {
  readonly timeline: Timeline;
  readonly #o: ResolvedOptions;
  readonly #lanes = new Map<string, ProviderLane>();
  // Every live task by id: queued, waiting, running, or finished while its last attempt settles.
  readonly #registry = new TaskRegistry();
  readonly #broker: SlotBroker<TaskRecord>;
  readonly #events = new Multicast<TaskEvent>();
  readonly events$ = this.#events.observable;
  readonly stats$: Observable<StatsSnapshot>;
  readonly #stats: StatsStream;
  readonly #epoch: number;
  #seq = 0;
  #phase: Phase = 'running';
  #shutdown: Promise<ShutdownReport> | undefined = undefined;
  #shutdownMode: 'drain' | 'cancel' = 'drain';
  /** The grace period ran out: what is left is cancelled, whatever the mode asked for. */
  #forced = false;
  #resolveShutdown: ((report: ShutdownReport) => void) | undefined = undefined;
  #unfinished: TaskInput[] = [];
  #unfinishedCommands: string[] = [];
  readonly #work = (record: TaskRecord, lease: SlotLease): AttemptRun => {
    const timeoutMs = this.#timeoutFor(record);
    const graceMs = this.#o.abandonAfterMs ?? (timeoutMs === Infinity ? DEFAULT_TIMEOUT_MS : timeoutMs);
    return new AttemptRun(this, record, lease, timeoutMs, graceMs);
  };

  constructor(options: ResolvedOptions) {
    this.#o = options;
    this.timeline = new Timeline(options.scheduler);
    this.#epoch = this.timeline.now();
    this.#broker = new SlotBroker<TaskRecord>({ coordinator: options.coordinator, compare: compareRanked });
    this.#stats = new StatsStream(options.scheduler, () => buildStats(this.#lanes.values(), this.#broker));
    this.stats$ = this.#stats.observable;
    for (const provider of options.providers) this.#openLane(provider);
  }

  // ---------------------------------------------------------------- submissions

  submit<P, R>(input: TaskInput<P>): Either<SubmitRejected, TaskHandle<R>> {
    if (this.#phase !== 'running') return left({ _tag: 'ShuttingDown' });
    const invalid = validateTaskInput(input);
    if (invalid !== undefined) return left(invalid);
    const lane = this.#lanes.get(input.provider);
    if (lane === undefined) return left({ _tag: 'UnknownProvider', provider: input.provider });
    const seq = this.#seq++;
    const id = this.#idFor(input.id, 1, seq);
    if (id !== undefined && this.#registry.has(id)) return left({ _tag: 'DuplicateId', id });
    const { timeoutMs, callbackName, maxRetries } = input;
    const extras = timeoutMs === undefined && callbackName === undefined && maxRetries === undefined ? undefined : { timeoutMs, callbackName, maxRetries };
    const record = new TaskRecord(id, lane, input.payload, input.priority ?? 0, this.timeline.now(), seq, 1, extras);
    this.#accept(lane, record, id === undefined);
    return right(new TaskHandleImpl<R>(this, record));
  }

  run<P, R>(input: TaskInput<P>): Promise<TaskOutcome<R>> {
    const submitted = this.submit<P, R>(input);
    if (submitted._tag === 'Left') return Promise.reject(new SubmitRejectedError(submitted.left));
    const record = (submitted.right as TaskHandleImpl<R>).record;
    return new Promise((resolve) => this.#onOutcome(record, (outcome) => resolve(outcome as TaskOutcome<R>)));
  }

  command<R>(provider: string, fn: (ctx: AttemptContext) => ObservableInput<R> | R, options: CommandOptions = {}): Either<SubmitRejected, TaskHandle<R>> {
    if (this.#phase !== 'running') return left({ _tag: 'ShuttingDown' });
    const invalid = validateCommand(fn, options);
    if (invalid !== undefined) return left(invalid);
    const lane = this.#lanes.get(provider);
    if (lane === undefined) return left({ _tag: 'UnknownProvider', provider });
    const seq = this.#seq++;
    const id = this.#idFor(options.id, 0, seq);
    if (id !== undefined && this.#registry.has(id)) return left({ _tag: 'DuplicateId', id });
    const extras: TaskExtras = { timeoutMs: options.timeoutMs, callbackName: '', maxRetries: options.maxRetries ?? 0, command: fn as CommandFn };
    const record = new TaskRecord(id, lane, undefined, 0, this.timeline.now(), seq, 0, extras);
    this.#accept(lane, record, id === undefined);
    return right(new TaskHandleImpl<R>(this, record));
  }

  #accept(lane: ProviderLane, record: TaskRecord, generatedId: boolean): void {
    this.#registry.add(record, generatedId);
    if (this.#events.observed) {
      this.#events.next({ type: 'queued', id: record.id, provider: record.provider, at: record.submittedAt, priority: record.priority });
    }
    this.#enterQueue(lane, record);
  }

  /** Into the queue (first time or after a backoff); it may start at once. */
  #enterQueue(lane: ProviderLane, record: TaskRecord): void {
    record.entries++;
    lane.enqueue(record);
    if (record.state === TaskState.Queued && (lane.slotWait !== undefined || this.#events.observed)) {
      const now = record.entries === 1 ? record.submittedAt : this.timeline.now();
      lane.slotWait?.watch(record, now);
      if (this.#events.observed) this.#events.next({ type: 'waiting-for-slot', id: record.id, provider: record.provider, at: now });
    }
    this.#statsChanged();
  }

  /**
   * The id to register: the given one, or undefined for a generated one. In the rare case where a
   * live task was given the id this task would generate, it gets that id with a suffix instead.
   */
  #idFor(given: string | undefined, lane: 0 | 1, seq: number): string | undefined {
    if (given !== undefined || !this.#registry.generatedIdTaken(lane, seq)) return given;
    let id = `${lane === 0 ? 'command' : 'task'}-${seq}~`;
    while (this.#registry.has(id)) id += '~';
    return id;
  }

  // ---------------------------------------------------------------- attempts (AttemptHost)

  invoke(record: TaskRecord, ctx: AttemptContext): unknown {
    if (record.command !== undefined) return record.command(ctx);
    const lane = record.home;
    return lane.provider.handle(record, ctx);
  }

  started(run: AttemptRun): void {
    const record = run.record;
    const lane = record.home;
    record.state = TaskState.Running;
    record.attempts = run.attempt;
    record.attempt = run;
    lane.running++;
    if (this.#events.observed) {
      this.#events.next({ type: 'started', id: record.id, provider: record.provider, at: run.startedAt, attempt: run.attempt, server: run.server });
    }
    this.#statsChanged();
  }

  decided(run: AttemptRun, ok: boolean, valueOrError: unknown): void {
    const record = run.record;
    if (record.attempt !== run || record.state !== TaskState.Running) return; // cancelled first
    const lane = record.home;
    lane.running--;
    const now = this.timeline.now();
    if (ok) {
      this.#finish(lane, record, { _tag: 'Succeeded', id: record.id, value: valueOrError, attempts: record.attempts, server: run.server, elapsedMs: record.elapsedAt(now) }, now);
      return;
    }
    const error = valueOrError;
    this.#log('warn', { taskId: record.id, provider: record.provider, server: run.server, attempt: run.attempt, err: error, timedOut: run.timedOut }, run.timedOut ? 'attempt timed out' : 'attempt failed');
    if (this.#phase === 'stopping' && (this.#shutdownMode === 'cancel' || this.#forced)) {
      this.#finishCancelled(lane, record, 'shutdown');
      return;
    }
    if (!shouldRetry(error, record.attempts, record.maxRetries, this.#o.isRetryable)) {
      const cause = isNonRetryableError(error) ? error.cause : error;
      this.#log('error', { taskId: record.id, provider: record.provider, attempts: record.attempts, err: cause }, 'task failed');
      this.#finish(lane, record, { _tag: 'Failed', id: record.id, error: cause, attempts: record.attempts, elapsedMs: record.elapsedAt(now) }, now);
      return;
    }
    const retry = (record.retry ??= { backoff: undefined, retryAt: 0, lastDelayMs: undefined });
    const delayMs = backoffDelay(record.attempts, retry.lastDelayMs, this.#o.backoff, this.#o.random);
    retry.lastDelayMs = delayMs;
    retry.retryAt = now + delayMs;
    record.state = TaskState.Waiting;
    lane.waiting++;
    lane.retries++;
    if (this.#events.observed) {
      this.#events.next({ type: 'retrying', id: record.id, provider: record.provider, at: now, attempt: record.attempts, error, delayMs });
    }
    this.#statsChanged();
  }

  abandoned(run: AttemptRun): void {
    this.#log('warn', { taskId: run.taskId, provider: run.provider, server: run.server, attempt: run.attempt }, 'handler ignored its aborted signal; slot released');
    if (this.#events.observed) {
      this.#events.next({ type: 'abandoned', id: run.taskId, provider: run.provider, at: this.timeline.now(), attempt: run.attempt, server: run.server });
    }
  }

  settled(run: AttemptRun): void {
    const record = run.record;
    if (record.attempt === run) record.attempt = undefined;
    const retry = record.retry;
    if (record.state === TaskState.Waiting && retry !== undefined && retry.backoff === undefined) {
      // The backoff counts from the failure, but the retry never overlaps its last attempt.
      const delay = Math.max(0, retry.retryAt - this.timeline.now());
      retry.backoff = this.timeline.after(delay, { onTime: () => this.#retryNow(record) });
    } else if (record.state === TaskState.Done) {
      this.#forget(record);
    }
  }

  #retryNow(record: TaskRecord): void {
    if (record.retry !== undefined) record.retry.backoff = undefined;
    if (record.state !== TaskState.Waiting) return;
    const lane = record.home;
    lane.waiting--;
    record.state = TaskState.Queued;
    this.#enterQueue(lane, record);
  }

  #timeoutFor(record: TaskRecord): number {
    if (record.timeoutMs !== undefined) return record.timeoutMs;
    const timeout = this.#o.timeout;
    if (typeof timeout === 'number') return timeout;
    let value: unknown;
    try {
      value = timeout(record.callbackName ?? '', record.provider);
    } catch (error) {
      this.#log('warn', { taskId: record.id, err: error }, `timeout function threw; using ${DEFAULT_TIMEOUT_MS} ms`);
      return DEFAULT_TIMEOUT_MS;
    }
    if (expectPositiveOrInfinity(value) !== undefined) {
      this.#log('warn', { taskId: record.id, value }, `timeout function returned an invalid timeout; using ${DEFAULT_TIMEOUT_MS} ms`);
      return DEFAULT_TIMEOUT_MS;
    }
    return value as number;
  }

  // ---------------------------------------------------------------- outcomes

  #finish(lane: ProviderLane, record: TaskRecord, outcome: TaskOutcome, now = this.timeline.now()): void {
    record.state = TaskState.Done;
    record.outcome = outcome;
    if (outcome._tag === 'Succeeded') lane.succeeded++;
    else if (outcome._tag === 'Failed') lane.failed++;
    else lane.cancelled++;
    const observed = this.#events.observed;
    if (observed) this.#events.next(outcomeEvent(record, outcome, now));
    if (record.attempt === undefined || record.attempt.settled) this.#forget(record);
    const listeners = record.listeners;
    if (listeners !== undefined) {
      record.listeners = undefined;
      for (const listener of listeners) {
        try {
          listener(outcome);
        } catch (error) {
          this.#log('error', { taskId: record.id, err: error }, 'an outcome listener threw');
        }
      }
    }
    // Subscribers ran: however long they took, the next task to start reads the clock afresh.
    if (observed || listeners !== undefined) this.timeline.stale();
    this.#statsChanged();
  }

  #finishCancelled(lane: ProviderLane, record: TaskRecord, reason: 'cancel' | 'shutdown'): void {
    if (reason === 'shutdown') {
      // A command is a function, not a TaskInput: it is reported by id, to be issued again by its owner.
      if (record.command === undefined) this.#unfinished.push(record.toInput());
      else this.#unfinishedCommands.push(record.id);
    }
    const now = this.timeline.now();
    this.#finish(lane, record, { _tag: 'Cancelled', id: record.id, reason, attempts: record.attempts, elapsedMs: record.elapsedAt(now) }, now);
  }

  /** The id is free again once the outcome is out and no attempt of it holds a slot. */
  #forget(record: TaskRecord): void {
    this.#registry.delete(record);
    if (this.#phase === 'stopping' && this.#registry.size === 0) this.#stop();
  }

  #onOutcome(record: TaskRecord, listener: (outcome: TaskOutcome) => void): () => void {
    if (record.outcome !== undefined) {
      listener(record.outcome);
      return () => undefined;
    }
    (record.listeners ??= []).push(listener);
    return () => {
      const index = record.listeners?.indexOf(listener) ?? -1;
      if (index >= 0) record.listeners?.splice(index, 1);
    };
  }

  outcomeOf<R>(record: TaskRecord): Observable<TaskOutcome<R>> {
    return new Observable<TaskOutcome<R>>((subscriber) =>
      this.#onOutcome(record, (outcome) => {
        subscriber.next(outcome as TaskOutcome<R>);
        subscriber.complete();
      }),
    );
  }

  eventsOf(record: TaskRecord): Observable<TaskEvent> {
    return defer(() =>
      record.outcome !== undefined
        ? EMPTY
        : this.events$.pipe(
            filter((event) => event.id === record.id),
            takeWhile((event) => event.type !== 'succeeded' && event.type !== 'failed' && event.type !== 'cancelled', true),
          ),
    );
  }

  // ---------------------------------------------------------------- cancellation

  cancel(id: string): CancelResult {
    if (this.#phase === 'stopped') return { _tag: 'ShutDown' };
    const record = this.#registry.get(id);
    return record === undefined ? { _tag: 'NotFound' } : this.cancelRecord(record);
  }

  cancelRecord(record: TaskRecord, reason: 'cancel' | 'shutdown' = 'cancel'): CancelResult {
    if (record.cancelResult !== undefined) return record.cancelResult;
    if (this.#phase === 'stopped') return { _tag: 'ShutDown' };
    const lane = record.home;
    let result: CancelResult;
    const run = record.state === TaskState.Running ? record.attempt : undefined;
    switch (record.state) {
      case TaskState.Queued:
        lane.queue.remove(record);
        result = { _tag: 'RemovedFromQueue' };
        break;
      case TaskState.Waiting:
        this.timeline.cancel(record.retry?.backoff);
        if (record.retry !== undefined) record.retry.backoff = undefined;
        lane.waiting--;
        result = { _tag: 'CancelledWhileWaiting' };
        break;
      case TaskState.Running:
        lane.running--;
        result = { _tag: 'InterruptedRunning', server: (run as AttemptRun).server };
        break;
      default:
        return { _tag: 'NotFound' };
    }
    record.cancelResult = result;
    this.#finishCancelled(lane, record, reason);
    // After the outcome: a handler that settles synchronously on abort frees its id at once.
    run?.abort(new TaskCancelledError(record.id, reason));
    return result;
  }

  // ---------------------------------------------------------------- configuration

  setServerLimit(serverOrPrefix: string, limit: number): void {
    check('serverOrPrefix', serverOrPrefix, (v) => expectNonEmptyString(v, 2048));
    check('limit', limit, expectLimit);
    this.#o.coordinator.setLimit(serverOrPrefix, limit);
    this.#statsChanged();
  }

  removeServerLimit(serverOrPrefix: string): void {
    check('serverOrPrefix', serverOrPrefix, (v) => expectNonEmptyString(v, 2048));
    this.#o.coordinator.removeLimit(serverOrPrefix);
    this.#statsChanged();
  }

  updateProviderServers(provider: string, servers: readonly string[]): Either<ConfigRejected, void> {
    const lane = typeof provider === 'string' ? this.#lanes.get(provider) : undefined;
    if (lane === undefined) return left({ _tag: 'UnknownProvider', provider });
    try {
      checkServerList(servers, 'servers');
    } catch (error) {
      return left({ _tag: 'InvalidConfig', field: (error as { field?: string }).field ?? 'servers', message: (error as Error).message });
    }
    lane.servers$.next([...servers]);
    this.#statsChanged();
    return right(undefined);
  }

  addProvider(provider: Provider): Either<ConfigRejected, void> {
    try {
      checkProvider(provider, 'provider');
    } catch (error) {
      return left({ _tag: 'InvalidConfig', field: (error as { field?: string }).field ?? 'provider', message: (error as Error).message });
    }
    if (this.#lanes.has(provider.name)) {
      return left({ _tag: 'InvalidConfig', field: 'provider.name', message: invalidMessage('provider.name', 'a name no other provider has', provider.name) });
    }
    if (this.#phase !== 'running') {
      return left({ _tag: 'InvalidConfig', field: 'provider', message: 'the manager is shutting down' });
    }
    this.#openLane(provider);
    this.#statsChanged();
    return right(undefined);
  }

  #openLane(provider: Provider): void {
    const lane = new ProviderLane(provider, this.#epoch, this.#o.maxRetries);
    this.#lanes.set(lane.name, lane);
    if (this.#o.maxSlotWaitMs !== Infinity) {
      lane.slotWait = new SlotWaitWatch(this.timeline, this.#o.maxSlotWaitMs, (record, waitedMs) => this.#slotWaitExpired(lane, record, waitedMs));
    }
    lane.subscription = merge(lane.tasks$, lane.commands$)
      .pipe(
        priorityBuffer({ queue: lane.queue }),
        serverSlots({ broker: this.#broker, queue: lane.queue, servers: lane.servers$, work: this.#work }),
      )
      .subscribe({
        error: (error: unknown) => this.#log('error', { provider: lane.name, err: error }, 'provider pipeline failed'),
      });
  }

  #slotWaitExpired(lane: ProviderLane, record: TaskRecord, waitedMs: number): void {
    lane.queue.remove(record);
    const budgets = [...new Set(lane.servers$.value)].join(', ');
    const error = new SlotWaitTimeoutError(record.id, budgets, waitedMs);
    this.#log('warn', { taskId: record.id, provider: lane.name, waitedMs }, 'no server slot within slotWait.maxWaitMs');
    this.#finish(lane, record, { _tag: 'Failed', id: record.id, error, attempts: record.attempts, elapsedMs: record.elapsedAt(this.timeline.now()) });
  }

  // ---------------------------------------------------------------- stats

  stats(): StatsSnapshot {
    return this.#stats.current();
  }

  #statsChanged(): void {
    this.#stats.changed();
  }

  // ---------------------------------------------------------------- shutdown

  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    if (this.#shutdown !== undefined) return this.#shutdown;
    const mode = options.mode ?? 'drain';
    if (mode !== 'drain' && mode !== 'cancel') return Promise.reject(new TypeError(invalidMessage('mode', "'drain' or 'cancel'", mode)));
    const graceMs = options.graceMs ?? (mode === 'cancel' ? 10_000 : Infinity);
    const graceProblem = expectNonNegativeOrInfinity(graceMs);
    if (graceProblem !== undefined) return Promise.reject(new TypeError(invalidMessage('graceMs', graceProblem, graceMs)));
    this.#shutdownMode = mode;
    this.#phase = 'stopping';
    this.#shutdown = new Promise((resolve) => {
      this.#resolveShutdown = resolve;
    });
    if (mode === 'cancel') this.#cancelAllWaiting();
    if (graceMs !== Infinity) this.timeline.after(graceMs, { onTime: () => this.#forceStop() });
    if (this.#registry.size === 0) this.#stop();
    return this.#shutdown;
  }

  #cancelAllWaiting(): void {
    for (const record of [...this.#registry.values()]) {
      if (record.state === TaskState.Queued || record.state === TaskState.Waiting) this.cancelRecord(record, 'shutdown');
    }
  }

  /** The grace period is over: cancel what is left and give every slot back now. */
  #forceStop(): void {
    if (this.#phase !== 'stopping') return;
    this.#forced = true;
    for (const record of [...this.#registry.values()]) {
      const run = record.attempt as AttemptRun | undefined;
      if (record.state !== TaskState.Done) this.cancelRecord(record, 'shutdown');
      run?.abandon();
    }
  }

  #stop(): void {
    if (this.#phase === 'stopped') return;
    // The last snapshot is taken while the pools are still known to the broker.
    this.#stats.stop();
    this.#phase = 'stopped';
    for (const lane of this.#lanes.values()) lane.close();
    this.#broker.dispose();
    this.timeline.clear();
    const report = this.#report();
    this.#events.complete();
    const resolve = this.#resolveShutdown;
    const closing = this.#o.ownsCoordinator ? this.#o.coordinator.close() : Promise.resolve();
    closing.then(
      () => resolve?.(report),
      (error: unknown) => {
        this.#log('error', { err: error }, 'closing the slot coordinator failed');
        resolve?.(report);
      },
    );
  }

  #report(): ShutdownReport {
    let succeeded = 0;
    let failed = 0;
    let cancelled = 0;
    for (const lane of this.#lanes.values()) {
      succeeded += lane.succeeded;
      failed += lane.failed;
      cancelled += lane.cancelled;
    }
    return { mode: this.#shutdownMode, succeeded, failed, cancelled, unfinished: this.#unfinished, unfinishedCommands: this.#unfinishedCommands };
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', obj: object, msg: string): void {
    const logger = this.#o.logger;
    if (logger === undefined) return;
    try {
      logger[level](obj, msg);
    } catch {
      // A broken logger must never break the pipeline.
    }
  }
}
