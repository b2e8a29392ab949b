import { from, isObservable, type Observable, type ObservableInput, type Observer, type OperatorFunction, type Subscribable, Subscription, type Unsubscribable } from 'rxjs';
import { check, checkOptional, expectFunction } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import type { SlotCoordinator } from '../slots/slotCoordinator.js';
import { operate } from './operate.js';
import { subscribeToSource } from './sourceObserver.js';
import { SlotBroker, type SlotLease } from '../slots/slotBroker.js';
import { type BufferQueue, FifoQueue, isBufferQueue, type SlotQueue } from '../queues/slotQueue.js';

export interface ServerSlotsConfig<T, R> {
  /** The pool: server strings (usually URLs), fixed or as a stream of replacements. */
  readonly servers: readonly string[] | Observable<readonly string[]>;
  /**
   * Runs one item on one server slot. The slot is held until the returned input completes, errors
   * or is unsubscribed. Besides any `ObservableInput`, a bare `Subscribable` (an object with
   * `subscribe(observer)`) is accepted and subscribed as it is, without an Observable around it.
   */
  readonly work: (item: T, lease: SlotLease) => ObservableInput<R> | Subscribable<R>;
  /**
   * Shared with other `serverSlots` (one per provider) so that common servers are one budget.
   * @default a private broker over `coordinator`
   */
  readonly broker?: SlotBroker<T>;
  /** Where slots come from when no broker is given. @default localSlotCoordinator() */
  readonly coordinator?: SlotCoordinator;
  /**
   * The queue that `priorityBuffer({ queue })` fills upstream: items then wait there, in priority
   * order, and are pulled one at a time when a slot frees. Without it, items that find no free
   * slot wait in a FIFO inside this operator.
   */
  readonly queue?: BufferQueue<T>;
}

/**
 * Runs each item on a server of the pool, never more at once on a server than its budget allows.
 *
 * <span class="informal">`mergeMap` with a semaphore per server: the concurrency is per server
 * (by normalised URL or URL prefix), shared with every pipeline that lists the server.</span>
 *
 * When an item arrives and a server has room, it starts at once on the least loaded server
 * (in-use / limit; ties in rotation). Otherwise it waits; when a slot frees, the most urgent
 * waiting item of any pipeline that lists that server takes it. No polling, no sleeping: every
 * start is caused by an arrival, a release or a configuration change.
 *
 * The slot is released exactly once: when the inner input completes or errors, or when it is
 * unsubscribed. Errors of the inner input pass to the output (the task manager's attempts never
 * error; they emit their result). The output completes when the source has completed and every
 * started item has finished.
 *
 * ## Example
 * ```ts
 * import { serverSlots } from 'smt-rx/operators';
 * import { localSlotCoordinator } from 'smt-rx';
 *
 * const coordinator = localSlotCoordinator({ limits: { 'https://gpu-1.example.com': 2 } });
 * prompts$.pipe(
 *   serverSlots({
 *     servers: ['https://gpu-1.example.com', 'https://gpu-2.example.com'],
 *     coordinator,
 *     work: (prompt, { server }) => fetch(`${server}/generate`, { method: 'POST', body: prompt }),
 *   }),
 * ).subscribe(console.log);
 * ```
 *
 * @param config The pool, the work, and optionally a shared broker and queue.
 * @returns An operator that emits the values of each item's work.
 */
export function serverSlots<T, R>(config: ServerSlotsConfig<T, R>): OperatorFunction<T, R> {
  if (config === null || typeof config !== 'object') {
    throw new InvalidOptionError('config', 'an object with `servers` and `work`', config);
  }
  check('work', config.work, expectFunction);
  checkServers(config.servers);
  checkOptional('broker', config.broker, (v) => (v instanceof SlotBroker ? undefined : 'a SlotBroker'));
  checkOptional('queue', config.queue, (v) => (isBufferQueue(v) ? undefined : 'a PullQueue or LevelQueue'));
  const { work, queue: sharedQueue } = config;

  return operate<T, R>((source, subscriber) => {
    const broker = config.broker ?? new SlotBroker<T>(config.coordinator ? { coordinator: config.coordinator } : {});
    const ownQueue = sharedQueue === undefined ? new FifoQueue<T>() : undefined;
    const queue: SlotQueue<T> = sharedQueue ?? (ownQueue as FifoQueue<T>);
    const running = new RunList<R>();
    let sourceDone = false;
    let closed = false;

    const pipeline: RunHost<R> = {
      next: (value) => subscriber.next(value),
      // Leaves the broker before the failed item's slot is released, so that slot cannot start
      // this pipeline's next waiting item (the teardown may not be registered yet during subscribe).
      fail: (error) => {
        subscriber.error(error);
        broker.leave(member);
      },
      finished: (run) => {
        running.delete(run);
        broker.release(run.lease);
      },
      completeIfIdle: () => {
        if (sourceDone && running.size === 0 && queue.size === 0) subscriber.complete();
      },
    };

    const start = (item: T, lease: SlotLease): void => {
      const run = new SlotRun(pipeline, lease);
      let input: ObservableInput<R> | Subscribable<R>;
      try {
        input = work(item, lease);
      } catch (error) {
        run.error(error);
        return;
      }
      running.add(run);
      // The run is the subscriber itself: no wrapper objects per item.
      const handle = (isSubscribable(input) ? input : from(input)).subscribe(run);
      // A bare Subscribable returns its own handle: the run keeps it, so cancelling the run stops
      // the work (an Observable returns the run itself).
      if (handle !== run) run.keep(handle);
    };

    const member = broker.join(queue, start);
    ownQueue?.connect((item) => {
      const lease = member.pending;
      member.pending = undefined;
      if (lease !== undefined) start(item, lease);
    });

    const sourceSubscription = subscribeToSource(source, subscriber, {
      next: (item) => {
        if (ownQueue !== undefined) {
          ownQueue.push(item);
          return;
        }
        // Pulled by the broker through the shared queue: the lease is waiting for this item.
        const lease = member.pending;
        member.pending = undefined;
        if (lease === undefined) {
          subscriber.error(
            new TypeError('serverSlots: an item arrived without a slot; feed it through priorityBuffer({ queue }) with the same queue'),
          );
          return;
        }
        start(item, lease);
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        sourceDone = true;
        pipeline.completeIfIdle();
      },
    });

    // Servers last: the consumer of a shared queue (priorityBuffer upstream) is connected by now,
    // so items already waiting in it can be pulled as soon as there are slots. A source that
    // already errored or completed needs no servers.
    const serversSubscription = subscriber.closed
      ? undefined
      : Array.isArray(config.servers)
      ? (broker.setServers(member, config.servers), undefined)
      : (config.servers as Observable<readonly string[]>).subscribe({
          next: (servers) => broker.setServers(member, servers),
          error: (error) => subscriber.error(error),
        });

    return () => {
      if (closed) return;
      closed = true;
      // Leave first: the slots released below go to other pipelines, never to this one's waiting items.
      broker.leave(member);
      sourceSubscription.unsubscribe();
      serversSubscription?.unsubscribe();
      running.cancelAll();
      if (config.broker === undefined) broker.dispose();
    };
  });
}

function checkServers(servers: unknown): void {
  if (Array.isArray(servers)) {
    servers.forEach((server, i) => {
      if (typeof server !== 'string' || server.length === 0) {
        throw new InvalidOptionError(`servers[${i}]`, 'a non-empty string', server);
      }
    });
    return;
  }
  if (!isObservable(servers)) throw new InvalidOptionError('servers', 'an array of strings or an Observable of arrays', servers);
}

/** What a running item reports to its pipeline. */
interface RunHost<R> {
  next(value: R): void;
  fail(error: unknown): void;
  /** The item is done: forget it and give its slot back. */
  finished(run: SlotRun<R>): void;
  completeIfIdle(): void;
}

/**
 * One item running on one slot: the observer of its work and the owner of its slot, which it gives
 * back exactly once, whichever way the work ends. One object per item instead of a handful of
 * closures: this is on the path of every task.
 */
class SlotRun<R> extends Subscription implements Observer<R> {
  done = false;
  /** The handle a bare Subscribable returned (an Observable's teardown is added to the run itself). */
  #inner: Unsubscribable | undefined = undefined;
  // Links in the pipeline's list of running items (see RunList).
  older: SlotRun<R> | undefined = undefined;
  newer: SlotRun<R> | undefined = undefined;

  constructor(
    readonly host: RunHost<R>,
    readonly lease: SlotLease,
  ) {
    super();
  }

  /** A field rather than `add`: `add` would allocate a finalizer array for every item. */
  keep(inner: Unsubscribable): void {
    if (this.closed) inner.unsubscribe();
    else this.#inner = inner;
  }

  override unsubscribe(): void {
    if (this.closed) return;
    const inner = this.#inner;
    this.#inner = undefined;
    super.unsubscribe();
    inner?.unsubscribe();
  }

  next(value: R): void {
    if (!this.done) this.host.next(value);
  }

  error(error: unknown): void {
    if (this.done) return;
    this.done = true;
    // Error first: the pipeline leaves the broker before the slot goes back.
    this.host.fail(error);
    this.host.finished(this);
    this.unsubscribe();
  }

  complete(): void {
    if (this.done) return;
    this.done = true;
    this.host.finished(this);
    this.host.completeIfIdle();
    this.unsubscribe();
  }

  /** The pipeline is torn down: stop the work and give the slot back. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.unsubscribe();
    this.host.finished(this);
  }
}

/**
 * The items a pipeline is running, linked through the runs themselves: adding and removing one
 * costs two pointer writes, where a Set hashed every run twice.
 */
class RunList<R> {
  #newest: SlotRun<R> | undefined = undefined;
  size = 0;

  add(run: SlotRun<R>): void {
    run.older = this.#newest;
    if (this.#newest !== undefined) this.#newest.newer = run;
    this.#newest = run;
    this.size++;
  }

  delete(run: SlotRun<R>): void {
    const { older, newer } = run;
    if (older === undefined && newer === undefined && this.#newest !== run) return; // not listed
    if (older !== undefined) older.newer = newer;
    if (newer !== undefined) newer.older = older;
    else this.#newest = older;
    run.older = undefined;
    run.newer = undefined;
    this.size--;
  }

  /** Cancels every run (teardown: rare, so a snapshot keeps the walk simple whatever a cancel does). */
  cancelAll(): void {
    const runs: SlotRun<R>[] = [];
    for (let run = this.#newest; run !== undefined; run = run.older) runs.push(run);
    for (const run of runs) run.cancel();
  }
}

/** Observables, and bare Subscribables (an object with `subscribe`, not a Promise or an iterable). */
function isSubscribable<R>(input: ObservableInput<R> | Subscribable<R>): input is Subscribable<R> {
  return isObservable(input) || (typeof input === 'object' && input !== null && typeof (input as Subscribable<R>).subscribe === 'function');
}
