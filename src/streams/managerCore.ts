import { CallbackError, type CallbackSource } from '../errors/CallbackError.js';
import { Multicast } from '../internal/multicast.js';
import { Timeline } from '../internal/timeline.js';
import { Trampoline } from '../internal/trampoline.js';
import { compareRanked } from '../queues/levelQueue.js';
import { PriorityAging } from '../queues/priorityAging.js';
import { SlotBroker } from '../slots/slotBroker.js';
import type { SlotCoordinator } from '../slots/slotCoordinator.js';
import { FleetCoordinator, type FleetHost } from '../slots/fleet/fleetCoordinator.js';
import type { ServerEvent } from '../slots/fleet/serverEvent.js';
import type { TaskEvent } from '../types.js';
import { Effect } from './effects.js';
import { gatedCoordinator } from './gatedCoordinator.js';
import type { ResolvedOptions } from './options.js';
import { buildStats } from './stats.js';
import { StatsStream } from './statsStream.js';
import { type Lane, type TaskRecord, weightOf } from './taskRecord.js';
import { TaskRegistry } from './taskRegistry.js';

export type Phase = 'running' | 'stopping' | 'stopped';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What the other pieces of the manager run when an effect of theirs comes up. */
export interface EffectRunner {
  run(kind: Effect, a: unknown, b: unknown, c: unknown): void;
}

/**
 * The state every piece of a task manager shares, and the one way it changes: a transition
 * bracketed by `enter()` / `exit()`, during which no user code runs (it is deferred as an effect,
 * see `Trampoline`). User code that calls the manager back starts a transition of its own.
 * @internal
 */
export class ManagerCore {
  readonly timeline: Timeline;
  readonly lanes = new Map<string, Lane>();
  // Every live task by id: queued, waiting, running, or finished while its last attempt settles.
  readonly registry = new TaskRegistry();
  readonly broker: SlotBroker<TaskRecord>;
  readonly coordinator: SlotCoordinator;
  readonly events: Multicast<TaskEvent>;
  readonly serverEvents: Multicast<ServerEvent>;
  /** Adaptive limits, health and latency: undefined unless one of them is on. */
  readonly fleet: FleetCoordinator | undefined;
  readonly callbackErrors: Multicast<CallbackError>;
  /** Completes when the manager's streams do (at the end of a shutdown). */
  readonly finished = new Multicast<never>();
  readonly stats: StatsStream;
  readonly epoch: number;
  /** Priority aging's grid (from the epoch), when `agingMs` is set. */
  readonly aging: PriorityAging | undefined;
  readonly #trampoline: Trampoline;
  #runner: EffectRunner | undefined = undefined;
  seq = 0;
  /** Told when queue or task counts may have changed, while `onIdle`-style waiters exist. */
  onSizes: (() => void) | undefined = undefined;
  phase: Phase = 'running';
  shutdownMode: 'drain' | 'cancel' = 'drain';
  /** A shutdown's grace period ran out: what is left is cancelled, whatever the mode asked for. */
  forced = false;

  constructor(readonly o: ResolvedOptions) {
    this.#trampoline = new Trampoline(
      (kind, a, b, c) => this.#runEffect(kind, a, b, c),
      (error) => this.#internalError(error),
    );
    this.timeline = new Timeline(o.scheduler, this);
    this.epoch = this.timeline.now();
    this.aging = o.agingMs === undefined ? undefined : new PriorityAging(o.agingMs, this.epoch);
    this.events = new Multicast<TaskEvent>((error) => this.reportThrow('events$ subscriber', error));
    // Its own subscribers' throws are dropped: reporting them here again could loop.
    this.callbackErrors = new Multicast<CallbackError>(() => undefined);
    this.serverEvents = new Multicast<ServerEvent>((error) => this.reportThrow('serverEvents$ subscriber', error));
    this.fleet = o.fleet === undefined ? undefined : new FleetCoordinator(o.coordinator, o.fleet, this.#fleetHost());
    this.coordinator = gatedCoordinator(this.fleet ?? o.coordinator, this);
    this.broker = new SlotBroker<TaskRecord>({ coordinator: this.coordinator, compare: compareRanked, weightOf });
    this.stats = new StatsStream(
      o.scheduler,
      () => buildStats(this.lanes.values(), this.broker, this.fleet),
      (error) => this.reportThrow('stats$ subscriber', error),
    );
  }

  /** The pieces that run effects (attempts, outcomes, shutdown), wired once by the manager. */
  set runner(runner: EffectRunner) {
    this.#runner = runner;
  }

  /** A shutdown is cancelling running work (its mode, or its grace period ran out). */
  get cancelsRunning(): boolean {
    return this.shutdownMode === 'cancel' || this.forced;
  }

  // ---------------------------------------------------------------- transitions

  get busy(): boolean {
    return this.#trampoline.busy;
  }

  /** Starts a transition (one clock read for all of it, user code deferred). */
  enter(): void {
    this.timeline.begin();
    this.#trampoline.begin();
  }

  /** Ends it; the outermost end runs the user code it deferred. */
  exit(): void {
    try {
      this.#trampoline.end();
    } finally {
      this.timeline.end();
    }
  }

  defer(kind: Effect, a: unknown, b?: unknown, c?: unknown): void {
    this.#trampoline.defer(kind, a, b, c);
  }

  #runEffect(kind: number, a: unknown, b: unknown, c: unknown): void {
    switch (kind as Effect) {
      case Effect.Emit:
        this.deliver(a as TaskEvent, b as TaskRecord);
        break;
      case Effect.Log:
        this.#callLogger(a as LogLevel, b as [object, string]);
        break;
      case Effect.Report:
        if (this.callbackErrors.observed) this.callbackErrors.next(a as CallbackError);
        break;
      case Effect.ServerEvent:
        this.serverEvents.next(a as ServerEvent);
        break;
      default:
        this.#runner?.run(kind as Effect, a, b, c);
    }
    // User code ran: however long it took, the next clock read is fresh.
    this.timeline.stale();
  }

  // ---------------------------------------------------------------- events

  /** True when someone hears this task's events (the manager's `events$` or its handle's). */
  observed(record: TaskRecord): boolean {
    return this.events.observed || record.observers !== undefined;
  }

  /** An event happened to the task: delivered once the transition is whole. */
  emit(record: TaskRecord, event: TaskEvent): void {
    this.#trampoline.defer(Effect.Emit, event, record);
  }

  /** Effects queued so far: a handle subscriber registered now hears the events queued from here on. */
  get deferredCount(): number {
    return this.#trampoline.deferred;
  }

  /** Hands an event to `events$` and the task's handle subscribers (from an effect only). */
  deliver(event: TaskEvent, record: TaskRecord): void {
    this.events.next(event);
    const observers = record.observers;
    if (observers === undefined) return;
    const final = event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled';
    if (final) record.observers = undefined;
    const index = this.#trampoline.current;
    for (const observer of observers) {
      if (index < observer.from) continue; // queued before it subscribed: its replay had it
      observer.subscriber.next(event);
      if (final) observer.subscriber.complete();
    }
  }

  #fleetHost(): FleetHost {
    return {
      timeline: this.timeline,
      poolsOf: (budget) => this.broker.membersOf(budget).map((member) => member.servers.map((entry) => entry.budget)),
      emit: (event) => {
        this.log(event.type === 'limit-changed' ? 'debug' : 'warn', event, event.type);
        if (this.serverEvents.observed) this.#trampoline.defer(Effect.ServerEvent, event);
        this.statsChanged();
      },
    };
  }

  // ---------------------------------------------------------------- stats, logs and throws

  statsChanged(): void {
    this.stats.changed();
    // Set only while someone waits for a size (see SizeSignals).
    if (this.onSizes !== undefined) this.onSizes();
  }

  /** Logs now when no transition is under way, else once it is whole (a logger is user code). */
  log(level: LogLevel, obj: object, msg: string): void {
    if (this.o.logger === undefined) return;
    if (this.busy) this.#trampoline.defer(Effect.Log, level, [obj, msg]);
    else this.#callLogger(level, [obj, msg]);
  }

  #callLogger(level: LogLevel, [obj, msg]: [object, string]): void {
    const logger = this.o.logger;
    if (logger === undefined) return;
    try {
      logger[level](obj, msg);
    } catch (error) {
      this.#publish(new CallbackError('logger', error));
    }
  }

  /** User code threw where no task's outcome hears it: reported, and nothing else changes. */
  reportThrow(source: CallbackSource, error: unknown, taskId?: string): void {
    const reported = new CallbackError(source, error, taskId);
    this.log('error', { err: error, source, taskId }, reported.message);
    this.#publish(reported);
  }

  #publish(error: CallbackError): void {
    if (this.busy) this.#trampoline.defer(Effect.Report, error);
    else if (this.callbackErrors.observed) this.callbackErrors.next(error);
  }

  #internalError(error: unknown): void {
    // A bug of ours: say so loudly, but never stop the other effects (they carry outcomes).
    try {
      this.o.logger?.error({ err: error }, 'smt-rx internal error while running user-facing work');
    } catch {
      // nowhere left to report
    }
  }
}
