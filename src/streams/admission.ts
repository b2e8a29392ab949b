import type { Left } from 'fp-ts/lib/Either.js';
import type { ObservableInput } from 'rxjs';
import type { AttemptContext, SubmitRejected, TaskInput } from '../types.js';
import type { AttemptRun } from './attemptRun.js';
import type { ManagerCore } from './managerCore.js';
import type { CommandOptions } from './taskManagerApi.js';
import type { CommandFn, TaskExtras } from './taskParts.js';
import { TaskRecord, TaskState, type Lane } from './taskRecord.js';
import { isInvalid, validateCommand, validateTaskInput } from './validateTaskInput.js';
import { watchSignal } from './taskSignal.js';
import { normalizeServerKey } from '../slots/serverKey.js';
import { invalidMessage } from '../errors/invalidOption.js';

/**
 * Submissions: a task or command is checked, registered under its id, announced (`queued`) and
 * put into its provider's queue, where it may start at once. Each is one transition.
 * @internal
 */
export class Admission {
  /** Cancels a task whose submission's signal aborted (a transition; set by the manager). */
  abortTask: (record: TaskRecord, reason: unknown) => void = () => undefined;
  /** A full queue (`maxQueued`): makes room by its overflow policy for a newcomer of that rank, or says why not (set by the manager). */
  makeRoom: (lane: Lane, rank: number) => SubmitRejected | undefined = () => undefined;
  /** Gives a provider a pipeline of its own (Pipelines.own; set by the manager). */
  ownPipeline: (lane: Lane) => void = () => undefined;
  /** Holds a task submitted with a delay until it is due (DelayedTasks; set by the manager). */
  hold: (lane: Lane, record: TaskRecord, dueAt: number) => void = () => undefined;

  constructor(readonly core: ManagerCore) {}

  /** The accepted task's record, or why it was refused (a Left the caller hands back as it is). */
  submit(given: TaskInput): TaskRecord | Left<SubmitRejected> {
    const core = this.core;
    if (core.phase !== 'running') return refused({ _tag: 'ShuttingDown' });
    // Read once: the checked copy is what is used.
    const input = validateTaskInput(given);
    if (isInvalid(input)) return refused(input);
    const lane = core.lanes.get(input.provider);
    if (lane === undefined) return refused({ _tag: 'UnknownProvider', provider: input.provider });
    const seq = core.seq++;
    const id = this.#idFor(input.id, 1, seq);
    if (id !== undefined && core.registry.has(id)) return refused({ _tag: 'DuplicateId', id });
    const { timeoutMs, callbackName, maxRetries, signal, delayMs, runAt } = input;
    const weight = input.weight === 1 ? undefined : input.weight;
    if (weight !== undefined) {
      // An empty pool (servers to come) is not judged: the task waits like any other.
      if (core.coordinator.countsWeights !== true) return refused({ _tag: 'InvalidTask', field: 'weight', message: invalidMessage('weight', '1: this coordinator does not count weights (countsWeights)', weight) });
      const largestLimit = largestLimitOf(lane, core);
      if (weight > largestLimit && lane.servers$.value.length > 0) return refused({ _tag: 'TooHeavy', provider: lane.name, weight, largestLimit });
      // A heavy head waits for room, or is passed over: in a shared queue it would hold back others.
      this.ownPipeline(lane);
    }
    if (signal?.aborted === true) return refused({ _tag: 'Aborted', reason: signal.reason });
    const dueAt = delayMs === undefined && runAt === undefined ? undefined : dueTime(core.timeline.now(), delayMs, runAt);
    if (lane.queued + lane.delayed >= lane.maxQueued) {
      const full = this.makeRoom(lane, lane.rank(input.priority ?? 0, dueAt ?? core.timeline.now()));
      if (full !== undefined) return refused(full);
    }
    const plain = timeoutMs === undefined && callbackName === undefined && maxRetries === undefined && signal === undefined && dueAt === undefined && weight === undefined;
    const extras = plain ? undefined : { timeoutMs, callbackName, maxRetries, signal, dueAt, weight };
    const record = new TaskRecord(id, lane, input.payload, input.priority ?? 0, core.timeline.now(), seq, 1, extras);
    if (lane.aging !== undefined) record.prioritize(input.priority ?? 0);
    if (signal !== undefined) watchSignal(record, signal, this.abortTask);
    this.#accept(lane, record, id === undefined);
    return record;
  }

  command(provider: string, fn: (ctx: AttemptContext) => unknown, given: CommandOptions = {}): TaskRecord | Left<SubmitRejected> {
    const core = this.core;
    if (core.phase !== 'running') return refused({ _tag: 'ShuttingDown' });
    const options = validateCommand(fn, given);
    if (isInvalid(options)) return refused(options);
    const lane = core.lanes.get(provider);
    if (lane === undefined) return refused({ _tag: 'UnknownProvider', provider });
    const seq = core.seq++;
    const id = this.#idFor(options.id, 0, seq);
    if (id !== undefined && core.registry.has(id)) return refused({ _tag: 'DuplicateId', id });
    const command = fn as (ctx: AttemptContext) => ObservableInput<unknown>;
    const extras: TaskExtras = { timeoutMs: options.timeoutMs, callbackName: '', maxRetries: options.maxRetries ?? 0, command: command as CommandFn };
    const record = new TaskRecord(id, lane, undefined, 0, core.timeline.now(), seq, 0, extras);
    this.#accept(lane, record, id === undefined);
    return record;
  }

  #accept(lane: Lane, record: TaskRecord, generatedId: boolean): void {
    const core = this.core;
    core.registry.add(record, generatedId);
    if (core.observed(record)) core.emit(record, { type: 'queued', id: record.id, provider: record.provider, at: record.submittedAt, priority: record.givenPriority });
    const dueAt = record.extras?.dueAt;
    if (dueAt === undefined) enterQueue(core, lane, record);
    else this.hold(lane, record, dueAt);
  }

  /**
   * The id to register: the given one, or undefined for a generated one. In the rare case where a
   * live task was given the id this task would generate, it gets that id with a suffix instead.
   */
  #idFor(given: string | undefined, lane: 0 | 1, seq: number): string | undefined {
    const registry = this.core.registry;
    if (given !== undefined || !registry.generatedIdTaken(lane, seq)) return given;
    let id = `${lane === 0 ? 'command' : 'task'}-${seq}~`;
    while (registry.has(id)) id += '~';
    return id;
  }
}

/** The largest hard limit (the coordinator's, not an adaptive one) among the servers of a provider's pool. */
function largestLimitOf(lane: Lane, core: ManagerCore): number {
  const coordinator = core.o.coordinator;
  let largest = 0;
  for (const server of lane.servers$.value) largest = Math.max(largest, coordinator.budget(coordinator.budgetOf(normalizeServerKey(server))).limit);
  return largest;
}

function refused(rejection: SubmitRejected): Left<SubmitRejected> {
  return { _tag: 'Left', left: rejection };
}

/** Into the queue (first time or after a backoff); it may start at once. */
export function enterQueue(core: ManagerCore, lane: Lane, record: TaskRecord): void {
  record.entries++;
  // Counted first: it may start inside `enqueue`.
  lane.queued++;
  lane.enqueue(record);
  if (record.state === TaskState.Queued) noteWait(core, lane, record);
  core.statsChanged();
}

/** It could not start at once: the slot-wait bound starts, and a `waiting-for-slot` event. */
function noteWait(core: ManagerCore, lane: Lane, record: TaskRecord): void {
  const first = record.entries === 1;
  // A delayed task's first wait starts when it is due, not at its submission.
  const now = first && record.extras?.dueAt === undefined ? record.submittedAt : core.timeline.now();
  lane.slotWait?.watch(record, now);
  if (first) {
    record.waited = true;
    if (core.observed(record)) core.emit(record, { type: 'waiting-for-slot', id: record.id, provider: record.provider, at: now });
    return;
  }
  // A retry that waits: rare, so the event is kept for the handle's replay.
  const event = { type: 'waiting-for-slot', id: record.id, provider: record.provider, at: now } as const;
  const run = record.attempt as AttemptRun | undefined;
  if (run !== undefined) (run.later ??= []).push(event);
  if (core.observed(record)) core.emit(record, event);
}

/** The due time of a submission with `delayMs`/`runAt`, or undefined when it is due now (a time past included). */
function dueTime(now: number, delayMs: number | undefined, runAt: number | undefined): number | undefined {
  const due = runAt ?? now + (delayMs ?? 0);
  return due > now ? due : undefined;
}
